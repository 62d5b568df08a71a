// What a deploy is asked to do, and the side effects it is given: the seam between the action's
// glue and the deploy's orchestration (begin.ts, deploy.ts).
import type { LayeredEnvironment } from "../config/layering.js";
import type { VariableLookup } from "../config/references.js";
import type { GitHubClient, Repository } from "../runtime/github.js";
import type { Logger } from "../shared/log.js";
import type { SecretRegistry } from "../shared/secrets.js";
import type { DeployConfiguration } from "./configure.js";
import type { DrillObjectives, DrillVerdict } from "./drill.js";
import type { DeploymentRecords } from "./records.js";
import type { DeployReport } from "./report.js";
import type { RolloutOutcome } from "./rollout.js";

export interface DeployRequest {
  environment: LayeredEnvironment;
  configuration: DeployConfiguration;
  version: string;
  rollbackTo?: string;
  force: boolean;
  /** The ref recorded on the deployment. */
  ref: string;
  repository: Repository;
  runUrl?: string;
  serverUrl: string;
  workspace: string;
  lookup: VariableLookup;
  /** The rendered configuration handed to hooks ({{ config_file }}, SHIPGATE_CONFIG_FILE). */
  configFile?: string;
  /** Send alerts, incidents and figures after the record is complete. */
  notify: boolean;
  /** Carry a held canary on (promote) or roll it back (abort); version may then be "". */
  resume?: "promote" | "abort";
  /** Why a fresh deploy starts inside a freeze window (override-freeze); recorded when one holds. */
  overrideFreeze?: string;
  /**
   * A rollback drill: `version` is a deliberately faulty build (its hooks get SHIPGATE_DRILL=1),
   * recorded with task deploy:drill and judged against the objectives.
   */
  drill?: { kind: "rollback"; objectives: DrillObjectives };
}

export interface DeployIo {
  records: DeploymentRecords;
  client: GitHubClient;
  log: Logger;
  secrets: SecretRegistry;
  saveState(name: string, value: string): void;
  /** Aborted when the deploy is being cancelled (SIGTERM, SIGINT). */
  signal: AbortSignal;
  /** Called once the record is complete, before what follows it: outputs and summary go here. */
  recorded(report: DeployReport, outcome: RolloutOutcome, drill?: DrillVerdict): Promise<void>;
}
