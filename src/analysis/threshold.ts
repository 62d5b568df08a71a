// Threshold checks (Argo Rollouts / Flagger style): a condition over a query's result, with an
// explicit rule for vectors (which element, or an aggregate) and for values that are not data.

export type Operator = "<" | "<=" | ">" | ">=" | "==" | "!=";

/** One comparison of the result with a number: `result <= 0.01`. */
export interface Clause {
  operator: Operator;
  value: number;
}

/** A parsed condition: every clause must hold (`result > 0.9 && result <= 1`). */
export interface Threshold {
  /** The condition as the report shows it. */
  text: string;
  clauses: readonly Clause[];
}

/** How a vector result becomes a verdict: every element, any element, or one reduced value. */
export type Aggregate = "all" | "any" | "min" | "max" | "avg" | "sum";

/** One element of a query result: its labels and its value (NaN and infinities included). */
export interface Sample {
  labels: Readonly<Record<string, string>>;
  value: number;
}

/** Which element of a vector to judge: by position, or the one whose labels include these. */
export type ElementSelector = number | Readonly<Record<string, string>>;

export type ThresholdOutcome =
  | { kind: "pass" | "fail"; observed: number[]; reason: string }
  | { kind: "no-data"; observed: number[]; reason: string };

const CLAUSE =
  /^\s*result\s*(<=|>=|==|!=|<|>)\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*$/;
const CONNECTIVE = /\s*(?:&&|\band\b)\s*/;

/**
 * Parses `result <= 0.01`, `result >= 0.99`, `result > 0 && result < 5` (also `and`), and adds
 * Flagger's `min`/`max` range as `result >= min` / `result <= max`. Throws an Error naming what
 * cannot be read.
 */
export function parseThreshold(
  condition: string | undefined,
  min?: number,
  max?: number,
): Threshold {
  const clauses: Clause[] = [];
  const texts: string[] = [];
  if (condition !== undefined) {
    for (const part of condition.split(CONNECTIVE)) {
      const match = CLAUSE.exec(part);
      if (!match) {
        throw new Error(
          `cannot read ${JSON.stringify(part.trim())} in condition ${JSON.stringify(condition)}: ` +
            'write comparisons of result with a number, such as "result <= 0.01" or "result > 0 && result < 5"',
        );
      }
      clauses.push({ operator: match[1] as Operator, value: Number(match[2]) });
    }
    texts.push(condition.trim());
  }
  if (min !== undefined) {
    clauses.push({ operator: ">=", value: min });
    texts.push(`result >= ${min}`);
  }
  if (max !== undefined) {
    clauses.push({ operator: "<=", value: max });
    texts.push(`result <= ${max}`);
  }
  if (clauses.length === 0)
    throw new Error("a threshold check needs a condition, or min and/or max");
  if (min !== undefined && max !== undefined && min > max)
    throw new Error(`min (${min}) is greater than max (${max})`);
  return { text: texts.join(" && "), clauses };
}

const COMPARE: Readonly<Record<Operator, (left: number, right: number) => boolean>> = {
  "<": (a, b) => a < b,
  "<=": (a, b) => a <= b,
  ">": (a, b) => a > b,
  ">=": (a, b) => a >= b,
  "==": (a, b) => a === b,
  "!=": (a, b) => a !== b,
};

export function holds(threshold: Threshold, value: number): boolean {
  return threshold.clauses.every((clause) => COMPARE[clause.operator](value, clause.value));
}

const REDUCE: Readonly<
  Record<"min" | "max" | "avg" | "sum", (values: readonly number[]) => number>
> = {
  min: (values) => Math.min(...values),
  max: (values) => Math.max(...values),
  sum: (values) => values.reduce((total, value) => total + value, 0),
  avg: (values) => values.reduce((total, value) => total + value, 0) / values.length,
};

function describeSelector(selector: ElementSelector): string {
  if (typeof selector === "number") return `element ${selector}`;
  return `{${Object.entries(selector)
    .map(([key, value]) => `${key}="${value}"`)
    .join(",")}}`;
}

function select(samples: readonly Sample[], selector: ElementSelector | undefined): Sample[] {
  if (selector === undefined) return [...samples];
  if (typeof selector === "number") {
    const sample = samples[selector];
    return sample ? [sample] : [];
  }
  const wanted = Object.entries(selector);
  return samples
    .filter((sample) => wanted.every(([key, value]) => sample.labels[key] === value))
    .slice(0, 1);
}

const format = (value: number): string =>
  Number.isFinite(value) ? String(Number(value.toPrecision(6))) : String(value);

/**
 * Judges a query result against a threshold. Values that are not data (NaN, +Inf, -Inf) and empty
 * results give `no-data`, for the metric's on-no-data policy to decide; they are never compared.
 * `all` needs every element finite and passing; `any` passes on one finite passing element and
 * otherwise is no-data when some element was not a number; reductions need every element finite.
 */
export function evaluateThreshold(
  threshold: Threshold,
  samples: readonly Sample[],
  aggregate: Aggregate = "all",
  selector?: ElementSelector,
): ThresholdOutcome {
  const chosen = select(samples, selector);
  const observed = chosen.map((sample) => sample.value);
  if (chosen.length === 0) {
    const why =
      samples.length === 0
        ? "the query returned no data"
        : `no ${describeSelector(selector ?? 0)} in a result of ${samples.length}`;
    return { kind: "no-data", observed, reason: why };
  }
  const finite = observed.filter(Number.isFinite);
  const notData = observed.length - finite.length;
  const notDataReason = `${notData} of ${observed.length} value(s) not a number (${observed
    .filter((value) => !Number.isFinite(value))
    .map(format)
    .join(", ")})`;
  const shown = (values: readonly number[]) => values.map(format).join(", ");

  if (aggregate === "any") {
    const passing = finite.find((value) => holds(threshold, value));
    if (passing !== undefined)
      return { kind: "pass", observed, reason: `${format(passing)} satisfies ${threshold.text}` };
    if (notData > 0) return { kind: "no-data", observed, reason: notDataReason };
    return {
      kind: "fail",
      observed,
      reason: `no value satisfies ${threshold.text} (saw ${shown(finite)})`,
    };
  }
  if (notData > 0) return { kind: "no-data", observed, reason: notDataReason };
  if (aggregate === "all") {
    const failing = finite.filter((value) => !holds(threshold, value));
    if (failing.length === 0)
      return {
        kind: "pass",
        observed,
        reason: `${shown(finite)} ${finite.length === 1 ? "satisfies" : "all satisfy"} ${threshold.text}`,
      };
    return {
      kind: "fail",
      observed,
      reason: `${shown(failing)} ${failing.length === 1 ? "does" : "do"} not satisfy ${threshold.text}`,
    };
  }
  const value = REDUCE[aggregate](finite);
  const pass = holds(threshold, value);
  return {
    kind: pass ? "pass" : "fail",
    observed,
    reason: `${aggregate} ${format(value)} ${pass ? "satisfies" : "does not satisfy"} ${threshold.text}`,
  };
}
