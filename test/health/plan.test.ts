// planHealth, runHealth and healthDetail without a network: checks from an environment and an
// input, problems with their places, secrets to mask, and the run's one-line account.
import { describe, expect, it } from "@jest/globals";
import { layerEnvironment, type LayeredEnvironment } from "../../src/config/layering.js";
import { parseYamlSource } from "../../src/config/yaml-source.js";
import type { ResponseSnapshot } from "../../src/health/conditions.js";
import type { HttpProbeRequest } from "../../src/health/http-probe.js";
import { healthDetail, planHealth, runHealth, type HealthSources } from "../../src/health/plan.js";
import type { Clock } from "../../src/health/probe.js";
import type { CheckReport } from "../../src/health/verify.js";
import type { Problem } from "../../src/shared/errors.js";
import { configurationErrorOf } from "../support/configuration-error.js";

const FILE = "environments/staging.yml";

function environment(yaml: string): LayeredEnvironment {
  return layerEnvironment({ name: "staging", layers: [parseYamlSource(FILE, yaml)] });
}

const STAGING = environment(
  [
    "health:",
    "  checks:",
    "    - name: api",
    "      url: ${env:SERVICE_URL}/health",
    "    - name: web",
    "      url: https://staging.example.com/",
    "",
  ].join("\n"),
);

const INPUT = [
  "- name: db",
  "  url: https://db.example.com/ready",
  "  method: HEAD",
  "  headers:",
  "    authorization: Bearer ${secret:DB_TOKEN}",
  "",
].join("\n");

const VARIABLES: Record<string, string> = {
  SERVICE_URL: "https://api.example.com",
  DB_TOKEN: "s3cr3t-token",
  SPACED_URL: "https://api.example.com/a b",
  NEWLINE_TOKEN: "s3cr3t-token\r\n",
};
const lookup = (name: string): string | undefined => VARIABLES[name];

const problemsOf = (plan: () => unknown): readonly Problem[] => configurationErrorOf(plan).problems;

const answer = (overrides: Partial<ResponseSnapshot> = {}): ResponseSnapshot => ({
  connected: true,
  status: 200,
  responseTimeMs: 12,
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ status: "UP", version: "1.5.0" }),
  ...overrides,
});

/** A clock that moves only when the probe waits, so retries cost no real time. */
const virtualClock = (): Clock => {
  let now = 0;
  return {
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
  };
};

const report = (name: string, verdict: CheckReport["verdict"], failure?: string): CheckReport => ({
  name,
  url: `https://${name}.example.com/health`,
  healthy: verdict === "healthy",
  verdict,
  attempts: [],
  latency: { p50: 0, p95: 0, max: 0 },
  elapsedMs: 0,
  ...(failure === undefined ? {} : { failure }),
});

describe("planHealth", () => {
  it.each<[string, HealthSources, [name: string, url: string, method: string][]]>([
    [
      "environment only",
      { environment: STAGING },
      [
        ["api", "https://api.example.com/health", "GET"],
        ["web", "https://staging.example.com/", "GET"],
      ],
    ],
    ["input only", { checksInput: INPUT }, [["db", "https://db.example.com/ready", "HEAD"]]],
    [
      "both, the environment's checks first",
      { environment: STAGING, checksInput: INPUT },
      [
        ["api", "https://api.example.com/health", "GET"],
        ["web", "https://staging.example.com/", "GET"],
        ["db", "https://db.example.com/ready", "HEAD"],
      ],
    ],
    ["neither: an empty plan, for the caller to judge", {}, []],
    [
      "an environment without health checks and an empty input",
      { environment: environment("service: shop\n"), checksInput: "" },
      [],
    ],
  ])("%s", (_case, sources, expected) => {
    const plan = planHealth(sources, lookup);
    expect(plan.checks.map((check) => [check.name, check.url, check.method])).toEqual(expected);
  });

  it("returns the value of a ${secret:...} header in secrets, and resolves it in the check", () => {
    const plan = planHealth({ environment: STAGING, checksInput: INPUT }, lookup);
    expect(plan.secrets).toEqual(["s3cr3t-token"]);
    expect(plan.checks[2]?.headers).toEqual({ authorization: "Bearer s3cr3t-token" });
  });

  // Expected problems: an absent `at` means the problem has no file position.
  it.each<[string, HealthSources, Partial<Record<keyof Problem, unknown>>[]]>([
    [
      "a bad check in the environment, with its file and line",
      {
        environment: environment(
          [
            "health:",
            "  checks:",
            "    - name: api",
            "      url: ftp://api.example.com/",
            '      interval: "5"',
            "",
          ].join("\n"),
        ),
      },
      [
        {
          path: 'health.checks[0].url (check "api")',
          at: { file: FILE, line: 4, column: 7 },
          message: "expected an http:// or https:// URL",
        },
        {
          path: 'health.checks[0].interval (check "api")',
          at: { file: FILE, line: 5, column: 7 },
          message: '"5" needs a unit, such as 5s or 5ms',
        },
      ],
    ],
    [
      "what Node could not send or wait for, once references are resolved, with file and line",
      {
        environment: environment(
          [
            "health:",
            "  checks:",
            "    - name: api",
            "      url: ${env:SPACED_URL}",
            "      headers:",
            "        X-Token: ${secret:NEWLINE_TOKEN}",
            "      deadline: 30d",
            "",
          ].join("\n"),
        ),
      },
      [
        {
          path: 'health.checks[0].url (check "api")',
          at: { file: FILE, line: 4, column: 7 },
          message: "the URL contains a space; write it as %20",
        },
        {
          path: 'health.checks[0].headers.X-Token (check "api")',
          at: { file: FILE, line: 6, column: 9 },
          message: "the value contains a line break (CR or LF)",
        },
        {
          path: 'health.checks[0].deadline (check "api")',
          at: { file: FILE, line: 7, column: 7 },
          message: '"30d" is longer than a timer can wait (at most 24d20h31m23s)',
        },
      ],
    ],
    [
      "a bad check in the input, by key path alone",
      {
        checksInput: "- name: db\n  url: https://db.example.com/\n  conditions: ['[STATUS] ==']\n",
      },
      [
        {
          path: 'checks[0].conditions[0] (check "db")',
          message: expect.stringMatching(/^cannot parse condition "\[STATUS\] =="/),
        },
      ],
    ],
    [
      "problems from both at once, an unset secret among them",
      {
        environment: STAGING,
        checksInput: "- name: api\n  url: https://x.example.com/${secret:MISSING}\n",
      },
      [
        {
          path: 'checks[0].name (check "api")',
          message: 'duplicate check name "api"',
        },
        {
          path: 'checks[0].url (check "api")',
          message: expect.stringMatching(/^secret \$\{secret:MISSING\} is not set/),
        },
      ],
    ],
  ])("throws a ConfigurationError: %s", (_case, sources, expected) => {
    const problems = problemsOf(() => planHealth(sources, lookup));
    expect(problems).toEqual(expected.map((problem) => ({ at: undefined, ...problem })));
  });
});

describe("runHealth", () => {
  const plan = planHealth({ checksInput: INPUT }, lookup);

  it("sends each planned request through the injected request, defaults filled in", async () => {
    const sent: HttpProbeRequest[] = [];
    const reports = await runHealth(plan, {
      concurrency: 2,
      request: async (request) => {
        sent.push(request);
        return answer();
      },
    });
    expect(sent).toEqual([
      {
        url: "https://db.example.com/ready",
        method: "HEAD",
        headers: { authorization: "Bearer s3cr3t-token" },
        timeoutMs: 5000,
        insecure: false,
      },
    ]);
    expect(reports.map((check) => [check.name, check.verdict])).toEqual([["db", "healthy"]]);
  });

  it.each<[string, Parameters<typeof runHealth>[1], ResponseSnapshot, string, string | undefined]>([
    ["a healthy answer", { concurrency: 1 }, answer(), "healthy", undefined],
    [
      "the wrong version",
      { concurrency: 1, expectVersion: "1.6.0" },
      answer(),
      "unhealthy",
      "3 consecutive failure(s); last: still serving 1.5.0, expected 1.6.0",
    ],
    [
      "a refused connection",
      { concurrency: 1, insecure: true, ca: "PEM" },
      answer({ connected: false, status: 0, error: "connection refused by db.example.com" }),
      "unhealthy",
      "3 consecutive failure(s); last: not connected: connection refused by db.example.com",
    ],
  ])("reports %s", async (_case, options, snapshot, verdict, failure) => {
    const progress: string[] = [];
    const sent: HttpProbeRequest[] = [];
    const [checked] = await runHealth(plan, {
      ...options,
      clock: virtualClock(),
      progress: (check, line) => progress.push(`[${check.name}] ${line}`),
      request: async (request) => {
        sent.push(request);
        return snapshot;
      },
    });
    expect([checked?.verdict, checked?.failure]).toEqual([verdict, failure]);
    expect(progress).toHaveLength(sent.length);
    expect(progress[0]).toMatch(/^\[db\] attempt 1: /);
    expect(sent.every((request) => request.insecure === (options.insecure ?? false))).toBe(true);
    expect(sent[0]?.ca).toBe(options.ca);
  });
});

describe("healthDetail", () => {
  it.each<[string, CheckReport[], { healthy: boolean; failed: string[]; detail: string }]>([
    [
      "every check healthy",
      [report("api", "healthy"), report("web", "healthy")],
      { healthy: true, failed: [], detail: "2 check(s) healthy" },
    ],
    [
      "failed checks, each with why (the verdict when no failure is recorded)",
      [
        report("api", "healthy"),
        report("web", "unhealthy", "3 consecutive failure(s); last: [STATUS] == 200: saw 503"),
        report("db", "deadline"),
      ],
      {
        healthy: false,
        failed: ["web", "db"],
        detail: "web: 3 consecutive failure(s); last: [STATUS] == 200: saw 503; db: deadline",
      },
    ],
  ])("%s", (_case, reports, expected) => {
    const outcome = healthDetail(reports);
    expect({ ...outcome, failed: outcome.failed.map((check) => check.name) }).toEqual(expected);
  });
});
