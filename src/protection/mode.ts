// env-config's protection mode: every declaration and live setting read, planned, then applied.
// Writing waits until all is read and planned, so a refusal on the first write leaves GitHub as it was.
import type { EnvironmentDirectory } from "../runtime/environment-directory.js";
import { layerEnvironment } from "../config/layering.js";
import { ConfigurationError, type Problem } from "../shared/errors.js";
import type { GitHubClient, Repository } from "../runtime/github.js";
import { declaredProtection, type DeclaredProtection } from "./declared.js";
import {
  applyEnvironmentPlan,
  readLiveProtection,
  resolveReviewers,
  reviewersFor,
} from "./github.js";
import { drifted, planEnvironment, type Change, type EnvironmentPlan } from "./plan.js";
import type { ProtectionAction } from "./report.js";

export interface ProtectionSettings {
  directory: EnvironmentDirectory;
  /** One environment; every environment file of the directory when undefined. */
  environment?: string;
  action: ProtectionAction;
  client: GitHubClient;
  repository: Repository;
}

export interface ProtectionOutcome {
  plans: EnvironmentPlan[];
  /** Environments without a protection section. */
  unmanaged: string[];
  /** Set by apply: the changes GitHub accepted. */
  applied?: Set<Change>;
  /** Set when apply stopped part-way (or on its first write): the error, to raise once reported. */
  failure?: unknown;
}

/** Every environment's declaration, all problems of all files reported at once. */
async function readDeclarations(
  settings: ProtectionSettings,
): Promise<{ declared: DeclaredProtection[]; unmanaged: string[] }> {
  const names =
    settings.environment === undefined ? settings.directory.names : [settings.environment];
  const declared: DeclaredProtection[] = [];
  const unmanaged: string[] = [];
  const problems: Problem[] = [];
  for (const name of names) {
    try {
      const environment = layerEnvironment(await settings.directory.sources(name));
      const protection = declaredProtection(environment);
      if (protection) declared.push(protection);
      else if (settings.environment === undefined) unmanaged.push(name);
      else {
        problems.push({
          path: 'input "environment"',
          at: environment.locate([]),
          message:
            `${name} has no protection section to compare with GitHub ` +
            "(add one, or leave the input out to check every environment that has one)",
        });
      }
    } catch (error) {
      if (!(error instanceof ConfigurationError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length > 0) throw new ConfigurationError(problems);
  return { declared, unmanaged };
}

/**
 * Plans every managed environment and, with `apply`, writes the plans one environment after the
 * other. A failed write does not throw: the outcome carries it with what was applied before it.
 */
export async function runProtection(settings: ProtectionSettings): Promise<ProtectionOutcome> {
  const { declared, unmanaged } = await readDeclarations(settings);
  const { client, repository } = settings;
  const live = await Promise.all(
    declared.map((protection) => readLiveProtection(client, repository, protection.environment)),
  );
  const resolved = await resolveReviewers(
    client,
    declared.flatMap((protection) => protection.reviewers),
    live.flatMap((protection) => protection?.reviewers ?? []),
  );
  const plans = declared.map((protection, index) =>
    planEnvironment(protection, reviewersFor(protection.reviewers, resolved), live[index]),
  );
  if (settings.action === "plan") return { plans, unmanaged };

  const applied = new Set<Change>();
  for (const plan of plans.filter((candidate) => drifted(candidate).length > 0)) {
    try {
      await applyEnvironmentPlan(client, repository, plan, applied);
    } catch (failure) {
      return { plans, unmanaged, applied, failure };
    }
  }
  return { plans, unmanaged, applied };
}
