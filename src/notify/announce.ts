// An event from an action other than deploy (a failed verification, an inconclusive gate, a budget
// breach) sent to the environment's notify channels. Best-effort like every notification: it
// never throws, every failure is a warning, and the channel URLs are masked before anything runs.
import type { LayeredEnvironment } from "../config/layering.js";
import type { VariableLookup } from "../config/references.js";
import type { Logger } from "../shared/log.js";
import type { SecretRegistry } from "../shared/secrets.js";
import {
  deliverAll,
  describeResult,
  type DeliveryResult,
  type RetryPolicy,
  type Send,
} from "./deliver.js";
import { RUN_LINK_LABEL, type NotifyEvent } from "./events.js";
import { scrubbedSend } from "./http.js";
import { planDeliveries } from "./plan.js";
import { resolveNotify } from "./settings.js";

export type Announcement = Omit<NotifyEvent, "severity" | "environment" | "service" | "at">;

export interface AnnouncePorts {
  lookup: VariableLookup;
  send: Send;
  /** Registers a secret value for masking (the runner's add-mask). */
  mask(value: string): void;
  info(line: string): void;
  warn(line: string): void;
  now(): number;
  policy?: RetryPolicy;
}

export async function announce(
  environment: LayeredEnvironment,
  announcement: Announcement,
  ports: AnnouncePorts,
): Promise<DeliveryResult[]> {
  try {
    const notify = resolveNotify(environment, ports.lookup);
    notify.secrets.forEach(ports.mask);
    notify.problems.forEach(ports.warn);
    const event: NotifyEvent = {
      ...announcement,
      severity: notify.plan.severity[announcement.kind],
      environment: environment.name,
      service: environment.document.service ?? environment.name,
      at: new Date(ports.now()).toISOString(),
    };
    const results = await deliverAll(planDeliveries(notify.plan, event), {
      send: ports.send,
      quiet: notify.plan.quiet,
      ...(ports.policy ? { policy: ports.policy } : {}),
    });
    for (const result of results) (result.ok ? ports.info : ports.warn)(describeResult(result));
    return results;
  } catch (error) {
    ports.warn(`notifications not sent: ${(error as Error).message}`);
    return [];
  }
}

/** The link back to the workflow run (its attempt), when there is one. */
export function runLink(runUrl: string | undefined): { label: string; url: string }[] {
  return runUrl ? [{ label: RUN_LINK_LABEL, url: runUrl }] : [];
}

/**
 * Ports for an action step: real HTTP, the step's log (which scrubs every registered secret) and
 * its secret registry, to which the channel URLs are added before anything is sent.
 */
export function announcePorts(step: {
  lookup: VariableLookup;
  secrets: SecretRegistry;
  log: Logger;
  title: string;
}): AnnouncePorts {
  return {
    lookup: step.lookup,
    send: scrubbedSend((text) => step.secrets.scrub(text)),
    mask: (value) => step.secrets.add(value),
    info: (line) => step.log.info(line),
    warn: (line) => step.log.warning(line, { title: step.title }),
    now: Date.now,
  };
}
