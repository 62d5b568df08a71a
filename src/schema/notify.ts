// The shape of an environment's `notify` section: where alerts go, for which events, how loud.
import * as z from "zod/mini";
import { flag } from "./fields.js";

/** The events shipgate reports to notify channels. */
export const NOTIFY_EVENTS = [
  "rollback",
  "verification-failed",
  "gate-inconclusive",
  "budget-breach",
  "deploy-succeeded",
] as const;
export type NotifyEventKind = (typeof NOTIFY_EVENTS)[number];

export const SEVERITIES = ["info", "warning", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

export const CHANNEL_TYPES = ["slack", "teams", "webhook", "alertmanager"] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

const SECRET_REFERENCE = /^\$\{secret:[A-Za-z_][A-Za-z0-9_]*\}$/;
const ENV_OR_SECRET_REFERENCE = /^\$\{(?:env|secret):[A-Za-z_][A-Za-z0-9_]*\}$/;
const HTTP_URL = /^https?:\/\/[^\s/]+/;

const severity = z.enum(SEVERITIES, { error: "expected info, warning or critical" });
const event = z.enum(NOTIFY_EVENTS, { error: `expected one of ${NOTIFY_EVENTS.join(", ")}` });

export const ChannelSchema = z
  .strictObject({
    type: z
      .enum(CHANNEL_TYPES, { error: `expected one of ${CHANNEL_TYPES.join(", ")}` })
      .check(
        z.describe(
          "slack or teams (incoming webhooks), webhook (a generic JSON POST), " +
            "or alertmanager (Prometheus Alertmanager API v2).",
        ),
      ),
    name: z.optional(
      z
        .string()
        .check(z.minLength(1), z.describe("A name for reports (default: the type and position).")),
    ),
    url: z
      .string()
      .check(
        z.describe(
          "Where to send. Webhook URLs are secrets: " +
            "slack, teams and webhook take a ${secret:NAME} reference only; " +
            "alertmanager takes its base URL (http://alertmanager:9093) or a reference.",
        ),
      ),
    events: z.optional(
      z
        .array(event)
        .check(z.minLength(1), z.describe("Which events this channel receives (default: all).")),
    ),
    "min-severity": z.optional(
      severity.check(z.describe("Events below this severity are not sent here (default info).")),
    ),
  })
  .check(
    z.refine(
      (channel) =>
        channel.type === "alertmanager"
          ? ENV_OR_SECRET_REFERENCE.test(channel.url) || HTTP_URL.test(channel.url)
          : SECRET_REFERENCE.test(channel.url),
      {
        error:
          "expected a ${secret:NAME} reference for a webhook URL (it is a secret), " +
          "or for alertmanager an http(s) URL or a reference",
        path: ["url"],
      },
    ),
  );

export const NotifySchema = z
  .strictObject({
    channels: z.optional(
      z
        .array(ChannelSchema)
        .check(z.describe("The channels that receive this environment's events.")),
    ),
    severity: z.optional(
      z
        .partialRecord(event, severity)
        .check(
          z.describe(
            "Severity per event (defaults: rollback and verification-failed critical, " +
              "gate-inconclusive and budget-breach warning, deploy-succeeded info).",
          ),
        ),
    ),
    quiet: flag(
      "Send nothing (what would have been sent is still logged and reported): " +
        "for maintenance windows.",
    ),
    incidents: flag(
      "Open an `incident` issue on a rollback or failed verification, " +
        "closed by the next successful deploy " +
        "(default: whether the environment is production).",
    ),
    pushgateway: z.optional(
      z.string().check(
        z.refine((url) => HTTP_URL.test(url) || ENV_OR_SECRET_REFERENCE.test(url), {
          error: "expected an http(s) URL or an ${env:NAME} / ${secret:NAME} reference",
        }),
        z.describe(
          "Prometheus Pushgateway base URL: " +
            "each deploy's figures are pushed there (job shipgate_deploy).",
        ),
      ),
    ),
  })
  .check(
    z.describe("Alerts, incidents and pipeline metrics for this environment (actions/deploy)."),
  );

export type NotifySettings = z.infer<typeof NotifySchema>;
export type ChannelSettings = z.infer<typeof ChannelSchema>;
