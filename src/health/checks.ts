// Health check definitions: their schema, defaults, references and conditions, checked at start.
import type * as z from "zod/mini";
import { ChecksSchema, type CheckSchema } from "../schema/health.js";
import type { Problem, SourcePosition } from "../shared/errors.js";
import { issuesToProblems } from "../shared/validation.js";
import { resolveReferences, type VariableLookup } from "../config/references.js";
import { formatKeyPath, type KeyPath } from "../config/yaml-source.js";
import {
  ConditionSyntaxError,
  DEFAULT_CONDITIONS,
  parseCondition,
  type Condition,
} from "./conditions.js";
import { parseDuration, timerLimitProblem } from "../shared/duration.js";
import type { ProbeSettings } from "./probe.js";
import { headerNameProblem, headerValueProblem, urlProblem } from "./request-syntax.js";

export interface HealthCheck {
  name: string;
  url: string;
  method: string;
  /** Header values with references resolved: may hold secrets, never to be printed. */
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  conditions: Condition[];
  probe: ProbeSettings;
  versionPath?: string;
}

export interface CheckSource {
  /** Raw check definitions. */
  checks: unknown;
  /** Where `checks` sits, for messages: e.g. ["health", "checks"] or ["input checks"]. */
  path: KeyPath;
  locate?: (path: KeyPath) => SourcePosition | undefined;
}

export interface PreparedChecks {
  checks: HealthCheck[];
  secrets: string[];
}

type CheckDefinition = z.infer<typeof CheckSchema>;

/** Where a problem in one check is: its key path (naming the check) and position. */
type Where = (key: string | number, ...rest: (string | number)[]) => Pick<Problem, "path" | "at">;

/** The settings written as durations, each of which must spell out its unit. */
const DURATION_KEYS = ["timeout", "initial-delay", "interval", "deadline"] as const;

/**
 * Validates check definitions, applies defaults, resolves `${env:}`/`${secret:}` references in URLs,
 * headers and bodies, checks the resolved URL and headers can be sent, and parses every condition.
 * Every problem in every check is returned, each naming the check, the key and (for conditions)
 * the condition text.
 */
export function prepareChecks(
  sources: readonly CheckSource[],
  lookup: VariableLookup,
): PreparedChecks | { problems: Problem[] } {
  const problems: Problem[] = [];
  const checks: HealthCheck[] = [];
  const secrets = new Set<string>();
  const names = new Set<string>();
  for (const source of sources) {
    const at = (path: KeyPath) => source.locate?.([...source.path, ...path]);
    const parsed = ChecksSchema.safeParse(source.checks);
    if (!parsed.success) {
      problems.push(
        ...issuesToProblems(
          parsed.error.issues,
          (path) => formatKeyPath([...source.path, ...path]),
          at,
        ),
      );
      continue;
    }
    parsed.data.forEach((check, index) => {
      const where: Where = (key, ...rest) => ({
        path: `${formatKeyPath([...source.path, index, key, ...rest])} (check "${check.name}")`,
        at: at([index, key, ...rest]),
      });
      if (names.has(check.name))
        problems.push({ ...where("name"), message: `duplicate check name "${check.name}"` });
      names.add(check.name);
      const resolved = resolveReferences(
        { url: check.url, headers: check.headers, body: check.body },
        lookup,
        (path) => where(String(path[0]), ...path.slice(1)),
      );
      problems.push(...resolved.problems);
      resolved.secrets.forEach((secret) => secrets.add(secret));
      const request = resolved.value as HttpRequestParts;
      if (resolved.problems.length === 0) problems.push(...requestProblems(request, where));
      checks.push(buildCheck(check, request, where, problems));
    });
  }
  if (problems.length > 0) return { problems };
  return { checks, secrets: [...secrets] };
}

/** A check's request as written, with its references resolved. */
interface HttpRequestParts {
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/** What Node's HTTP client would refuse in the resolved URL and headers, each at its key. */
function requestProblems({ url, headers }: HttpRequestParts, where: Where): Problem[] {
  const found: Problem[] = [];
  const urlMessage = urlProblem(url);
  if (urlMessage !== undefined) found.push({ ...where("url"), message: urlMessage });
  for (const [name, value] of Object.entries(headers)) {
    const message = headerNameProblem(name) ?? headerValueProblem(value);
    if (message !== undefined) found.push({ ...where("headers", name), message });
  }
  return found;
}

/** The check with its durations read and conditions parsed; their problems go to `problems`. */
function buildCheck(
  check: CheckDefinition,
  { url, headers, body }: HttpRequestParts,
  where: Where,
  problems: Problem[],
): HealthCheck {
  const durations = readDurations(check, where, problems);
  return {
    name: check.name,
    url,
    method: check.method,
    headers,
    ...(body === undefined ? {} : { body }),
    timeoutMs: durations.timeout ?? 0,
    conditions: parseConditions(check, where, problems),
    probe: {
      initialDelayMs: durations["initial-delay"] ?? 0,
      intervalMs: durations.interval ?? 0,
      successThreshold: check["success-threshold"],
      failureThreshold: check["failure-threshold"],
      deadlineMs: durations.deadline ?? 0,
    },
    ...(check["version-path"] ? { versionPath: check["version-path"] } : {}),
  };
}

function readDurations(
  check: CheckDefinition,
  where: Where,
  problems: Problem[],
): Partial<Record<(typeof DURATION_KEYS)[number], number>> {
  const durations: Partial<Record<(typeof DURATION_KEYS)[number], number>> = {};
  for (const key of DURATION_KEYS) {
    const read = readDuration(check[key]);
    if ("ms" in read) durations[key] = read.ms;
    else problems.push({ ...where(key), message: read.problem });
  }
  return durations;
}

/** One duration setting in milliseconds, or why it cannot be one. */
function readDuration(text: string): { ms: number } | { problem: string } {
  // Check settings spell their unit out: a bare "5" reads as seconds to some and milliseconds
  // to others.
  if (/^\s*[\d.]+\s*$/.test(text))
    return { problem: `"${text}" needs a unit, such as ${text.trim()}s or ${text.trim()}ms` };
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch (error) {
    return { problem: (error as Error).message };
  }
  // Every duration setting becomes a timer's wait, which Node caps at about 24.8 days.
  const tooLong = timerLimitProblem(text, ms);
  return tooLong === undefined ? { ms } : { problem: tooLong };
}

/** The check's conditions (the defaults when it gives none), parsed; syntax errors are problems. */
function parseConditions(check: CheckDefinition, where: Where, problems: Problem[]): Condition[] {
  const conditions: Condition[] = [];
  const texts = check.conditions.length > 0 ? check.conditions : DEFAULT_CONDITIONS;
  texts.forEach((text, conditionIndex) => {
    try {
      conditions.push(parseCondition(text));
    } catch (error) {
      if (!(error instanceof ConditionSyntaxError)) throw error;
      problems.push({
        ...where("conditions", conditionIndex),
        message: `cannot parse condition ${JSON.stringify(text)}: ${error.message}`,
      });
    }
  });
  return conditions;
}
