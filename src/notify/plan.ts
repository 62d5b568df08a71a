// Which channel gets which message for an event: the events filter, minimum severity, quiet mode,
// and Alertmanager's resolve-on-success. Pure: URLs come in already resolved.
import {
  DEFAULT_SEVERITY,
  PROBLEM_EVENTS,
  RESOLVED_BY_DEPLOY,
  severityRank,
  type NotifyEvent,
} from "./events.js";
import type {
  ChannelSettings,
  ChannelType,
  NotifyEventKind,
  NotifySettings,
  Severity,
} from "../schema/notify.js";
import {
  firingAlert,
  resolvingAlert,
  slackMessage,
  teamsMessage,
  webhookMessage,
  type Alert,
} from "./messages.js";

/** A channel with its URL resolved (a secret: never logged). */
export interface Channel {
  name: string;
  type: ChannelType;
  url: string;
  events?: readonly NotifyEventKind[];
  minSeverity: Severity;
}

export interface NotifyPlan {
  channels: readonly Channel[];
  severity: Readonly<Record<NotifyEventKind, Severity>>;
  quiet: boolean;
}

/** One HTTP request to make. */
export interface Delivery {
  channel: string;
  type: ChannelType | "pushgateway";
  /** What is sent, for reports: `rollback (critical)`, `resolve rollback`... */
  what: string;
  method: "POST" | "PUT";
  url: string;
  contentType: string;
  body: string;
}

/** A channel's name for reports: its own, or its type and position (`slack#1`), never its URL. */
export function channelName(channel: ChannelSettings, index: number): string {
  return channel.name ?? `${channel.type}#${index + 1}`;
}

/**
 * The notify section with resolved URLs (`urls[i]` for `channels[i]`), defaults filled in.
 */
export function notifyPlan(
  settings: NotifySettings | undefined,
  urls: readonly string[],
): NotifyPlan {
  const channels = (settings?.channels ?? []).map((channel, index): Channel => ({
    name: channelName(channel, index),
    type: channel.type,
    url: urls[index] ?? channel.url,
    ...(channel.events ? { events: channel.events } : {}),
    minSeverity: channel["min-severity"] ?? "info",
  }));
  return {
    channels,
    severity: { ...DEFAULT_SEVERITY, ...settings?.severity },
    quiet: settings?.quiet ?? false,
  };
}

function accepts(channel: Channel, kind: NotifyEventKind, severity: Severity): boolean {
  return (
    (channel.events === undefined || channel.events.includes(kind)) &&
    severityRank(severity) >= severityRank(channel.minSeverity)
  );
}

/** Alertmanager's endpoint under the configured base URL (which may already name it). */
export function alertsEndpoint(base: string): string {
  const trimmed = base.replace(/\/+$/, "");
  return /\/api\/v2\/alerts$/.test(trimmed) ? trimmed : `${trimmed}/api/v2/alerts`;
}

const json = (channel: Channel, what: string, body: unknown, url = channel.url): Delivery => ({
  channel: channel.name,
  type: channel.type,
  what,
  method: "POST",
  url,
  contentType: "application/json",
  body: JSON.stringify(body),
});

/**
 * The requests an event causes. Chat and webhook channels get the event when they take its kind
 * and severity. Alertmanager gets a firing alert for a problem event, and for `deploy-succeeded`
 * a resolving message for each deploy problem it would have been sent (whether or not that
 * problem fired: resolving an alert that is not active is harmless).
 */
export function planDeliveries(plan: NotifyPlan, event: NotifyEvent): Delivery[] {
  const what = `${event.kind} (${event.severity})`;
  return plan.channels.flatMap((channel): Delivery[] => {
    switch (channel.type) {
      case "slack":
        return accepts(channel, event.kind, event.severity)
          ? [json(channel, what, slackMessage(event))]
          : [];
      case "teams":
        return accepts(channel, event.kind, event.severity)
          ? [json(channel, what, teamsMessage(event))]
          : [];
      case "webhook":
        return accepts(channel, event.kind, event.severity)
          ? [json(channel, what, webhookMessage(event))]
          : [];
      case "alertmanager": {
        const url = alertsEndpoint(channel.url);
        if (PROBLEM_EVENTS.includes(event.kind)) {
          return accepts(channel, event.kind, event.severity)
            ? [json(channel, `${what} alert`, [firingAlert(event)], url)]
            : [];
        }
        if (event.kind !== "deploy-succeeded") return [];
        const kinds = RESOLVED_BY_DEPLOY.filter((kind) =>
          accepts(channel, kind, plan.severity[kind]),
        );
        const resolving: Alert[] = kinds.map((kind) =>
          resolvingAlert(kind, plan.severity[kind], event),
        );
        return resolving.length > 0
          ? [json(channel, `resolve ${kinds.join(", ")}`, resolving, url)]
          : [];
      }
    }
  });
}
