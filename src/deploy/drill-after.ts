// What follows a drill, each part best-effort: its figures pushed to the Pushgateway, and for a
// failed drill the incident issue. A drill's rollback raises no alert: it is what a drill is for.
import { reportIncident, resolveIncidents, type IncidentAction } from "../incidents/incidents.js";
import type { IncidentEvidence } from "../incidents/render.js";
import { describeResult, type DeliveryResult } from "../notify/deliver.js";
import { scrubbedSend } from "../notify/http.js";
import { pushWithRetry } from "../notify/pushgateway.js";
import type { Repository } from "../runtime/github.js";
import { whyNotUpdated, type AfterDeployResult } from "./after-deploy.js";
import { drillEvidence, drillMetricsDelivery, type DrillVerdict } from "./drill.js";
import type { DeployIo } from "./request.js";

export interface DrillFacts {
  environment: string;
  service: string;
  repository: Repository;
  pushgateway?: string;
  /** The incident's facts, should the drill fail (its cause, result and reason are the drill's). */
  evidence: Omit<IncidentEvidence, "cause" | "reason" | "result">;
}

export async function afterDrill(
  facts: DrillFacts,
  drill: DrillVerdict,
  io: Pick<DeployIo, "client" | "log" | "secrets">,
): Promise<AfterDeployResult> {
  const warnings: string[] = [];
  const warn = (line: string): void => {
    warnings.push(line);
    io.log.warning(line, { title: "deploy drill" });
  };
  const [pushed, incidents] = await Promise.all([
    pushFigures(facts, drill, io),
    drill.payload.passed
      ? closeIncidents(facts, drill, io, warn)
      : openIncident(facts, drill, io, warn),
  ]);
  if (pushed) (pushed.ok ? io.log.info : warn)(`notify: ${describeResult(pushed)}`);
  return { deliveries: pushed ? [pushed] : [], incidents, warnings };
}

async function pushFigures(
  facts: DrillFacts,
  drill: DrillVerdict,
  io: Pick<DeployIo, "secrets">,
): Promise<DeliveryResult | undefined> {
  const base = facts.pushgateway;
  if (!base) return undefined;
  return pushWithRetry(
    "drill metrics",
    () =>
      drillMetricsDelivery(base, {
        environment: facts.environment,
        service: facts.service,
        drill: drill.payload,
        finishedAtMs: Date.now(),
      }),
    { send: scrubbedSend((text) => io.secrets.scrub(text)) },
  );
}

async function openIncident(
  facts: DrillFacts,
  drill: DrillVerdict,
  io: Pick<DeployIo, "client" | "log">,
  warn: (line: string) => void,
): Promise<IncidentAction[]> {
  try {
    const action = await reportIncident(
      io.client,
      facts.repository,
      drillEvidence(drill, facts.evidence),
    );
    io.log.info(`incident #${action.issue} ${action.action}: ${action.url}`);
    return [action];
  } catch (error) {
    warn(`incident issue not updated: ${whyNotUpdated(error)}`);
    return [];
  }
}

/** A drill that passes closes the environment's open incident of a failed drill, if any. */
async function closeIncidents(
  facts: DrillFacts,
  drill: DrillVerdict,
  io: Pick<DeployIo, "client" | "log">,
  warn: (line: string) => void,
): Promise<IncidentAction[]> {
  try {
    const actions = await resolveIncidents(
      io.client,
      facts.repository,
      {
        environment: facts.environment,
        version: facts.evidence.version,
        deploymentId: facts.evidence.deploymentId,
        ...(facts.evidence.runUrl ? { runUrl: facts.evidence.runUrl } : {}),
        at: facts.evidence.at,
        by: `the ${drill.payload.kind} drill passed`,
      },
      ["drill-failed"],
    );
    for (const action of actions)
      if (action.action === "closed")
        io.log.info(`incident #${action.issue} closed: the ${drill.payload.kind} drill passed`);
    return actions;
  } catch (error) {
    warn(`incident issue not updated: ${whyNotUpdated(error)}`);
    return [];
  }
}
