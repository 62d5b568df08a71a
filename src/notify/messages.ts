// One event as each channel wants it: Slack blocks, a Teams Adaptive Card, a generic JSON document,
// and Prometheus Alertmanager alerts (API v2), firing or resolved. Pure: no I/O, no clock.
import type { NotifyEventKind, Severity } from "../schema/notify.js";
import { truncate } from "../shared/markdown.js";
import { ALERT_NAMES, RUN_LINK_LABEL, type NotifyEvent } from "./events.js";

const ICON: Readonly<Record<NotifyEventKind, string>> = {
  rollback: "↩️",
  "verification-failed": "❌",
  "gate-inconclusive": "⚠️",
  "budget-breach": "💸",
  "deploy-succeeded": "✅",
};

/** Slack's mrkdwn: only &, < and > need escaping (they would start an entity or a link). */
function slackEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** The line under a message: severity, service, environment and when. */
function footer(severity: string, event: NotifyEvent, escape = (text: string) => text): string {
  const parts = [
    `severity ${severity}`,
    escape(event.service),
    escape(event.environment),
    event.at,
  ];
  return parts.join(" · ");
}

/** A Slack incoming-webhook payload: `text` is the notification fallback, `blocks` the message. */
export function slackMessage(event: NotifyEvent): Record<string, unknown> {
  const fallback = `${ICON[event.kind]} ${event.title}`;
  const blocks: Record<string, unknown>[] = [
    // Slack caps a header at 150 characters, a section's text at 3000, a field at 2000 and a
    // button's text at 75.
    { type: "header", text: { type: "plain_text", text: truncate(fallback, 150), emoji: true } },
    { type: "section", text: { type: "mrkdwn", text: truncate(slackEscape(event.text), 3000) } },
  ];
  if (event.facts.length > 0) {
    // A section holds at most 10 fields.
    blocks.push({
      type: "section",
      fields: event.facts.slice(0, 10).map((fact) => ({
        type: "mrkdwn",
        text: truncate(`*${slackEscape(fact.name)}*\n${slackEscape(fact.value)}`, 2000),
      })),
    });
  }
  blocks.push({
    type: "context",
    elements: [{ type: "mrkdwn", text: footer(`*${event.severity}*`, event, slackEscape) }],
  });
  if (event.links.length > 0) {
    blocks.push({
      type: "actions",
      elements: event.links.slice(0, 5).map((link) => ({
        type: "button",
        text: { type: "plain_text", text: truncate(link.label, 75) },
        url: link.url,
      })),
    });
  }
  return { text: fallback, blocks };
}

const TEAMS_COLOR: Readonly<Record<Severity, string>> = {
  info: "Good",
  warning: "Warning",
  critical: "Attention",
};

/**
 * A Microsoft Teams incoming-webhook payload: a message carrying one Adaptive Card (1.4), which
 * both Workflows webhooks and the older connectors render.
 */
export function teamsMessage(event: NotifyEvent): Record<string, unknown> {
  const card = {
    $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
    type: "AdaptiveCard",
    version: "1.4",
    body: [
      {
        type: "TextBlock",
        size: "Large",
        weight: "Bolder",
        wrap: true,
        color: TEAMS_COLOR[event.severity],
        text: `${ICON[event.kind]} ${event.title}`,
      },
      { type: "TextBlock", wrap: true, text: event.text },
      ...(event.facts.length > 0
        ? [
            {
              type: "FactSet",
              facts: event.facts.map((fact) => ({ title: fact.name, value: fact.value })),
            },
          ]
        : []),
      {
        type: "TextBlock",
        isSubtle: true,
        size: "Small",
        wrap: true,
        text: footer(event.severity, event),
      },
    ],
    actions: event.links.map((link) => ({
      type: "Action.OpenUrl",
      title: link.label,
      url: link.url,
    })),
  };
  return {
    type: "message",
    attachments: [
      { contentType: "application/vnd.microsoft.card.adaptive", contentUrl: null, content: card },
    ],
  };
}

/** The generic webhook: the event as a flat JSON document, versioned so receivers can rely on it. */
export function webhookMessage(event: NotifyEvent): Record<string, unknown> {
  return {
    schema: "shipgate.notify/v1",
    event: event.kind,
    severity: event.severity,
    environment: event.environment,
    service: event.service,
    title: event.title,
    text: event.text,
    facts: Object.fromEntries(event.facts.map((fact) => [fact.name, fact.value])),
    links: event.links,
    at: event.at,
  };
}

/** An alert in Alertmanager's API v2 shape (`POST /api/v2/alerts` takes a list of these). */
export interface Alert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
}

/**
 * How long a fired alert stays active when nothing resolves it. Alertmanager expects senders to
 * re-send; a deploy sends once, so the alert carries its own end: the next successful deploy
 * resolves it sooner.
 */
export const ALERT_LIFETIME_MS = 7 * 24 * 3600 * 1000;

/**
 * The identity of an alert: Alertmanager tells alerts apart by their label set, so labels hold
 * only what stays the same between the firing and the resolving message (no version).
 */
export function alertLabels(
  kind: NotifyEventKind,
  severity: Severity,
  environment: string,
  service: string,
): Record<string, string> {
  return { alertname: ALERT_NAMES[kind], environment, service, severity };
}

/** The alert a problem event fires: active from `event.at` for ALERT_LIFETIME_MS. */
export function firingAlert(event: NotifyEvent): Alert {
  const starts = Date.parse(event.at);
  const runLink = event.links.find((link) => link.label === RUN_LINK_LABEL) ?? event.links[0];
  return {
    labels: alertLabels(event.kind, event.severity, event.environment, event.service),
    annotations: {
      summary: event.title,
      description: event.text,
      ...Object.fromEntries(
        event.facts.map((fact) => [
          fact.name.toLowerCase().replace(/[^a-z0-9]+/g, "_"),
          fact.value,
        ]),
      ),
    },
    startsAt: new Date(starts).toISOString(),
    endsAt: new Date(starts + ALERT_LIFETIME_MS).toISOString(),
    ...(runLink ? { generatorURL: runLink.url } : {}),
  };
}

/**
 * The message that resolves an earlier alert: the same labels with `endsAt` now. Alertmanager
 * merges it into the active alert of that label set, which then ends.
 */
export function resolvingAlert(
  kind: NotifyEventKind,
  severity: Severity,
  resolvedBy: NotifyEvent,
): Alert {
  return {
    labels: alertLabels(kind, severity, resolvedBy.environment, resolvedBy.service),
    annotations: { summary: `resolved: ${resolvedBy.title}`, description: resolvedBy.text },
    startsAt: resolvedBy.at,
    endsAt: resolvedBy.at,
  };
}
