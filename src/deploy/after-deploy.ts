// What follows a recorded deploy, each part best-effort: notifications, the incident issue, and the
// Pushgateway metrics. A failure here is a warning in the result, never a change to the deploy's.
import { reportIncident, resolveIncidents, type IncidentAction } from "../incidents/incidents.js";
import type { GitHubClient, Repository } from "../runtime/github.js";
import {
  deliverAll,
  describeResult,
  type DeliveryResult,
  type RetryPolicy,
  type Send,
} from "../notify/deliver.js";
import { planDeliveries } from "../notify/plan.js";
import { pushWithRetry } from "../notify/pushgateway.js";
import type { ResolvedNotify } from "../notify/settings.js";
import { deployEvent, failedFirstDeploy, type DeployLinks } from "./deploy-event.js";
import { deployEvidence, incidentCause } from "./incident-evidence.js";
import { deployMetricsDelivery } from "./pushgateway-metrics.js";
import type { DeployReport } from "./report.js";

export interface AfterDeployInput {
  report: DeployReport;
  repository: Repository;
  service: string;
  notify: ResolvedNotify;
  links: DeployLinks;
  startedAtMs: number;
}

export interface AfterDeployPorts {
  client: GitHubClient;
  send: Send;
  now(): number;
  info(line: string): void;
  warn(line: string): void;
  policy?: RetryPolicy;
}

export interface AfterDeployResult {
  deliveries: DeliveryResult[];
  incidents: IncidentAction[];
  /** Every failure, as warned. */
  warnings: string[];
}

export async function afterDeploy(
  input: AfterDeployInput,
  ports: AfterDeployPorts,
): Promise<AfterDeployResult> {
  const { report, notify } = input;
  const finishedAtMs = ports.now();
  const at = new Date(finishedAtMs).toISOString();
  const warnings: string[] = [];
  const warn = (line: string): void => {
    warnings.push(line);
    ports.warn(line);
  };
  notify.problems.forEach(warn);
  const durationSeconds = (finishedAtMs - input.startedAtMs) / 1000;
  const event = deployEvent(report, {
    service: input.service,
    severity: (kind) => notify.plan.severity[kind],
    links: input.links,
    at,
    durationSeconds,
  });
  const options = { send: ports.send, ...(ports.policy ? { policy: ports.policy } : {}) };

  const deliveries = planDeliveries(notify.plan, event);
  const base = notify.pushgateway;
  const pushing = base
    ? pushWithRetry(
        "deploy metrics",
        () =>
          deployMetricsDelivery(base, {
            environment: report.environment,
            service: input.service,
            report,
            durationSeconds,
            finishedAtMs,
          }),
        options,
      )
    : Promise.resolve(undefined);
  const [sent, pushed, incidents] = await Promise.all([
    deliverAll(deliveries, { ...options, quiet: notify.plan.quiet }),
    pushing,
    incidentStep(input, ports, at, warn),
  ]);

  const results = [...sent, ...(pushed ? [pushed] : [])];
  for (const result of results)
    (result.ok ? ports.info : warn)(`notify: ${describeResult(result)}`);
  return { deliveries: results, incidents, warnings };
}

async function incidentStep(
  input: AfterDeployInput,
  ports: AfterDeployPorts,
  at: string,
  warn: (line: string) => void,
): Promise<IncidentAction[]> {
  if (!input.notify.incidents) return [];
  const { report } = input;
  try {
    if (report.result === "deployed") {
      const actions = await resolveIncidents(ports.client, input.repository, {
        environment: report.environment,
        version: report.version,
        deploymentId: report.deploymentId,
        ...(input.links.runUrl ? { runUrl: input.links.runUrl } : {}),
        at,
      });
      for (const action of actions)
        if (action.action === "closed")
          ports.info(`incident #${action.issue} closed: ${report.version} is live`);
      return actions;
    }
    const cause = incidentCause(report);
    if (!cause) {
      if (failedFirstDeploy(report))
        ports.info(
          `no incident: ${report.version} was the first deploy to ${report.environment} ` +
            "(nothing was live before)",
        );
      return [];
    }
    const evidence = deployEvidence(report, cause, {
      service: input.service,
      ...(input.links.runUrl ? { runUrl: input.links.runUrl } : {}),
      ...(input.links.deploymentsUrl ? { deploymentsUrl: input.links.deploymentsUrl } : {}),
      at,
    });
    const action = await reportIncident(ports.client, input.repository, evidence);
    ports.info(`incident #${action.issue} ${action.action}: ${action.url}`);
    return [action];
  } catch (error) {
    warn(`incident issue not updated: ${whyNotUpdated(error)}`);
    return [];
  }
}

/** GitHub's answer when it gave one (a 403 names the permission to grant), else the error. */
export function whyNotUpdated(error: unknown): string {
  const status = (error as { status?: number }).status;
  if (!status) return (error as Error).message;
  return `GitHub answered ${status}${status === 403 ? " (the token needs issues: write)" : ""}`;
}
