// drill.yml as GitHub runs it, called by examples/drill.yml: a rollback drill of the orders
// service's staging (a lab of its own under traffic), the shipgate actions at the commit the OIDC
// token names, the environment's variables passed as GitHub passes them. The faulty build is
// rolled back by the gate within staging's recovery.rto and recorded as a drill; the caller's
// restore job is skipped.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { appendFile } from "node:fs/promises";
import { join } from "node:path";
import { Cleanup, labLive, startLoad } from "../../tools/lab/lab.js";
import { runWorkflow, type JobRun } from "../../tools/rehearsal/executor.js";
import { ROOT } from "../../tools/runner/run-action.js";
import {
  ordersWorkspace,
  recordLive,
  REPOSITORY,
  SHIPGATE_SHA,
  startOrdersLab,
  startOrdersStage,
  type OrdersLab,
  type OrdersStage,
} from "../support/orders.js";

/**
 * What the team adds to staging to drill it: the objective, and a canary judged on its error rate.
 * (Its blue-green with a health check alone lets the faulty build through: the drill fails, which
 * is what a drill is for.)
 */
const STAGING_DRILLED = `
recovery:
  rto: 90s
deploy:
  strategy: canary
  steps: [50, 100]
analysis:
  address: \${var:PROMETHEUS_URL}
  interval: 2s
  initial-delay: 5s
  count: 5
  metrics:
    - name: error-rate
      query: >-
        (sum(rate(http_requests_total{version="{{ canary }}",route="/api/work",code=~"5.."}[5s])) or vector(0))
        / sum(rate(http_requests_total{version="{{ canary }}",route="/api/work"}[5s]))
      condition: result <= 0.01
      on-no-data: inconclusive
`;

const cleanup = new Cleanup();
let stage: OrdersStage;
let workspace: string;
let staging: OrdersLab;

beforeAll(async () => {
  stage = await startOrdersStage(cleanup, "examples/drill.yml");
  workspace = await ordersWorkspace(cleanup, "shipgate-drill-orders-");
  await appendFile(join(workspace, "environments/staging.yml"), STAGING_DRILLED);
  staging = await startOrdersLab(cleanup, "staging");
}, 180_000);

afterAll(() => cleanup.run(), 60_000);

/** The called workflow's job, inside the caller's job that called it. */
const drillJob = (caller: JobRun | undefined): JobRun | undefined => caller?.workflow?.jobs.drill;

describe("drill.yml called from examples/drill.yml", () => {
  it("runs a rollback drill of staging as a schedule would, and passes within the RTO", async () => {
    const before = await recordLive(stage.client, "staging", staging.dir);
    const load = startLoad({ url: `${staging.url}/api/work`, rps: 50, durationMs: 300_000 });
    const run = await runWorkflow(
      "examples/drill.yml",
      { kind: "rollback", version: "1.1.1" },
      {
        root: ROOT,
        workspace,
        checkouts: { "./.shipgate/": ROOT },
        github: { repository: REPOSITORY, apiUrl: stage.github.url, token: "ghs_DrillToken2290" },
        // The repository's secrets, which the orders environment files read.
        secrets: { DB_PASSWORD: "Db-Pa55word-8831", HEALTH_TOKEN: "Health-T0ken-2207" },
        vars: {},
        environments: { staging: { vars: staging.vars } },
        oidc: { url: stage.oidc.url, token: stage.oidc.token },
        stepTimeoutMs: 180_000,
        ...(process.env.REHEARSAL_LOG ? { onLine: (line: string) => console.log(line) } : {}),
      },
    ).finally(() => load.stop());

    expect(run.result).toBe("success");
    expect(run.jobs.restore?.result).toBe("skipped");
    const job = drillJob(run.jobs.rollback);
    expect(job?.environment).toMatchObject({ name: "staging" });
    expect(job?.concurrency).toEqual({ group: "deploy-staging", cancelInProgress: false });
    expect(job?.steps.map((each) => `${each.id} ${each.kind} ${each.outcome}`)).toEqual([
      expect.stringMatching(/ no-op success$/),
      "shipgate run success",
      expect.stringMatching(/ no-op success$/),
      "config action success",
      "drill action success",
      "conclude run success",
      expect.stringMatching(/ post success$/),
    ]);
    // One pin: the actions ran at the commit the OIDC token names.
    expect(job?.steps[2]?.with).toMatchObject({
      repository: "shipgate/shipgate",
      ref: SHIPGATE_SHA,
    });
    const verdict = JSON.parse(job?.outputs.drill ?? "{}") as Record<string, unknown>;
    expect(verdict).toMatchObject({ kind: "rollback", rto_seconds: 90, passed: true });
    expect(verdict.recovery_seconds as number).toBeGreaterThan(0);
    expect(job?.outputs.passed).toBe("true");
    expect(await labLive(staging.dir)).toEqual(before);

    const tasks = stage.github.calls
      .filter((call) => call.operationId === "repos/create-deployment")
      .map((call) => (call.requestBody as { task?: string }).task);
    // The seeded record, then the drill's faulty deployment and its rollback.
    expect(tasks.slice(-2)).toEqual(["deploy:drill", "deploy:drill"]);
  }, 240_000);
});
