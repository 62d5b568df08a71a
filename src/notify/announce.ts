// An event from an action other than deploy (a failed verification, an inconclusive gate, a budget
// breach) sent to the environment's notify channels. Best-effort like every notification: it
// never throws, every failure is a warning, and the channel URLs are masked before anything runs.
import type { LayeredEnvironment } from "../config/layering.js";
import type { VariableLookup } from "../config/references.js";
import { logInfo, logWarning, registerSecret } from "../runtime/runner.js";
import { scrubSecrets } from "../shared/secrets.js";
import {
  deliverAll,
  describeResult,
  type DeliveryResult,
  type RetryPolicy,
  type Send,
} from "./deliver.js";
import type { NotifyEvent } from "./events.js";
import { sendHttp } from "./http.js";
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

/** The link back to the workflow run (its attempt), from the runner's variables. */
export function runLink(env: NodeJS.ProcessEnv): { label: string; url: string }[] {
  if (!env.GITHUB_REPOSITORY || !env.GITHUB_RUN_ID) return [];
  const attempt = env.GITHUB_RUN_ATTEMPT ? `/attempts/${env.GITHUB_RUN_ATTEMPT}` : "";
  return [
    {
      label: "Workflow run",
      url: `${env.GITHUB_SERVER_URL ?? "https://github.com"}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}${attempt}`,
    },
  ];
}

/**
 * Ports for an action step: the process environment, real HTTP, the runner's log and masking.
 * `masked` holds the secrets already known to the step; channel URLs are added to it.
 */
export function stepPorts(title: string, masked: string[]): AnnouncePorts {
  const scrub = (line: string) => scrubSecrets(line, masked);
  return {
    lookup: (name) => process.env[name],
    send: sendHttp,
    mask: (value) => {
      masked.push(value);
      registerSecret(value);
    },
    info: (line) => logInfo(scrub(line)),
    warn: (line) => logWarning(scrub(line), { title }),
    now: Date.now,
  };
}
