// Freeze windows through deploy's bundle, on the real clock: each window in the environment file is
// put around the present moment (or years before it), so no clock is faked. A fresh deploy in a
// window is refused before anything runs or is recorded; override-freeze records its reason; a
// rollback (automatic, resume: abort, the post step) never reads the windows; a dry run shows them.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createGitHubClient } from "../../src/runtime/github.js";
import { handlers } from "../../tools/github-standin/handlers/index.js";
import { startGitHubStandIn, type GitHubStandIn } from "../../tools/github-standin/index.js";
import { runAction, type ActionResult } from "../../tools/runner/run-action.js";
import { createWorkspace, type Workspace } from "../../tools/runner/workspace.js";

const REPOSITORY = "octo-org/freeze";
const ZONE = "America/New_York";

let github: GitHubStandIn;
let ws: Workspace;

beforeAll(async () => {
  github = await startGitHubStandIn({ repositories: [REPOSITORY] });
}, 60_000);

afterAll(async () => {
  await github.stop();
});

beforeEach(async () => {
  github.reset();
  ws = await createWorkspace({ withExamples: false });
  await ws.write("environments/production.yml", environmentFile(""));
});

/** `Friday 18:05`: the wall clock of `zone` at an instant, as a weekly window is written. */
function weeklyMoment(zone: string, ms: number): string {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: zone,
    weekday: "long",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(ms);
  const part = (type: string) => parts.find((item) => item.type === type)?.value ?? "";
  return `${part("weekday")} ${part("hour")}:${part("minute")}`;
}

const HOUR = 3_600_000;
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Two windows around now (weekly in New York, dated in UTC), and one long past. */
function freezeNow(): string {
  const now = Date.now();
  return `protection:
  freeze:
    - name: long-past
      reason: An old holiday
      time-zone: UTC
      from: 2020-12-24
      to: 2020-12-26
    - name: now-in-new-york
      reason: No deploys while the on-call team is away
      time-zone: ${ZONE}
      weekly: { from: ${weeklyMoment(ZONE, now - HOUR)}, to: ${weeklyMoment(ZONE, now + HOUR)} }
    - reason: Company offsite
      time-zone: UTC
      from: ${isoDate(now - 24 * HOUR)}
      to: ${isoDate(now + 24 * HOUR)}
`;
}

const PAST_ONLY = `protection:
  freeze:
    - reason: An old holiday
      time-zone: Europe/Berlin
      from: 2020-12-24
      to: 2020-12-26
`;

function environmentFile(protection: string, strategy = "rolling"): string {
  return `production: true
deploy:
  strategy: ${strategy}
  hooks:
    deploy: echo deploying {{ version }} >> hooks.log && test {{ version }} != 9.9.9
    traffic: echo traffic {{ weight }} >> hooks.log
${protection}`;
}

function deploy(inputs: Record<string, string>, env: Record<string, string> = {}) {
  return runAction({
    action: "deploy",
    workspace: ws.dir,
    repository: REPOSITORY,
    apiUrl: github.url,
    inputs: { environment: "production", token: "test-token", ...inputs },
    env,
    timeoutMs: 60_000,
  });
}

async function seedLive(version: string): Promise<void> {
  const seeded = await deploy({ version });
  expect(seeded.outputs.result).toBe("deployed");
}

const created = () =>
  github
    .callsTo("repos/create-deployment")
    .map((call) => call.requestBody as { payload: Record<string, unknown>; description: string });
const statuses = () =>
  github
    .callsTo("repos/create-deployment-status")
    .map((call) => call.requestBody as { state: string; description: string });
const output = (result: ActionResult) => result.lines.join("\n");

describe("a fresh deploy in a freeze window", () => {
  it("is refused before anything runs or is recorded, naming every window in force at its line", async () => {
    await seedLive("1.0.0");
    await ws.write("environments/production.yml", environmentFile(freezeNow()));
    const before = created().length;
    const refused = await deploy({ version: "1.1.0" });
    expect(refused.exitCode).toBe(1);
    const error = refused.annotations.find((annotation) => annotation.level === "error");
    expect(error).toMatchObject({ file: "environments/production.yml", line: 14 });
    const message = error?.message ?? "";
    expect(message).toMatch(
      /^environments\/production\.yml:14 protection\.freeze\[1\]: production is frozen by /,
    );
    expect(message).toMatch(
      /freeze window "now-in-new-york" \(every \w+ \d\d:\d\d to \w+ \d\d:\d\d, America\/New_York\) until /,
    );
    expect(message).toContain("America/New_York: No deploys while the on-call team is away; ");
    expect(message).toMatch(
      /freeze window "Company offsite" \(\S+ to \S+, UTC\) until \w+ \S+ 00:00 UTC/,
    );
    expect(error?.message).toContain("give override-freeze a reason");
    expect(error?.message).not.toContain("long-past");
    expect(created()).toHaveLength(before);
    expect(output(refused)).not.toContain("deploying 1.1.0");
    expect(existsSync(join(ws.dir, "hooks.log"))).toBe(true);
    const { readFile } = await import("node:fs/promises");
    expect(await readFile(join(ws.dir, "hooks.log"), "utf8")).not.toContain("1.1.0");
  });

  it("starts with override-freeze, the reason and the windows on the deployment", async () => {
    await seedLive("1.0.0");
    await ws.write("environments/production.yml", environmentFile(freezeNow()));
    const reason = "hotfix for INC-4211, approved by the release manager";
    const result = await deploy({ version: "1.1.0", "override-freeze": `  ${reason} ` });
    expect(result.exitCode).toBe(0);
    expect(result.outputs.result).toBe("deployed");
    const record = created().at(-1);
    expect(record?.payload).toMatchObject({
      version: "1.1.0",
      freeze_override: { window: "now-in-new-york, Company offsite", reason },
    });
    const overridden = `freeze now-in-new-york, Company offsite overridden: ${reason}`;
    expect(record?.description).toBe(`1.1.0 (rolling); ${overridden}`.slice(0, 140));
    expect(statuses().map((status) => status.description)).toContain(
      `deploying 1.1.0 (rolling); ${overridden}`.slice(0, 140),
    );
    const warning = result.annotations.find((annotation) => annotation.level === "warning");
    expect(warning).toMatchObject({ title: "deploy: freeze overridden", line: 14 });
    expect(warning?.message).toContain(reason);
  });

  it("starts as ever when no window holds, recording no override", async () => {
    await ws.write("environments/production.yml", environmentFile(PAST_ONLY));
    const result = await deploy({ version: "1.1.0", "override-freeze": "just in case" });
    expect(result.exitCode).toBe(0);
    expect(created().at(-1)?.payload).not.toHaveProperty("freeze_override");
    expect(output(result)).toContain("override-freeze is given, but no freeze window");
  });

  it("shows in a dry run whether a window is in force", async () => {
    await ws.write("environments/production.yml", environmentFile(freezeNow()));
    const frozen = await deploy({ version: "1.1.0", "dry-run": "true" });
    expect(frozen.exitCode).toBe(0);
    expect(output(frozen)).toMatch(
      /Freeze: in force now, freeze window "now-in-new-york" .*; a deploy would be refused/,
    );
    expect((JSON.parse(frozen.outputs.report ?? "{}") as { freeze?: string }).freeze).toMatch(
      /^Freeze: in force now/,
    );
    expect(frozen.summary).toContain("Freeze: in force now");
    const overriding = await deploy({
      version: "1.1.0",
      "dry-run": "true",
      "override-freeze": "hotfix",
    });
    expect(output(overriding)).toContain("a deploy would start, recording override-freeze: hotfix");
    await ws.write("environments/production.yml", environmentFile(PAST_ONLY));
    const open = await deploy({ version: "1.1.0", "dry-run": "true" });
    expect(output(open)).toContain("Freeze: no freeze window is in force now.");
    expect(created()).toHaveLength(0);
  });
});

describe("rollbacks in a freeze window are never blocked", () => {
  it("rolls a failed deploy back on its own, the rollback recorded without an override", async () => {
    await seedLive("1.0.0");
    await ws.write("environments/production.yml", environmentFile(freezeNow()));
    const failed = await deploy({ version: "9.9.9", "override-freeze": "testing the rollback" });
    expect(failed.outputs.result).toBe("rolled-back");
    const rollback = created().at(-1);
    expect(rollback?.payload).toMatchObject({ strategy: "rollback", version: "1.0.0" });
    expect(rollback?.payload).not.toHaveProperty("freeze_override");
    expect(statuses().at(-1)).toMatchObject({ state: "success", description: "1.0.0 restored" });
  });

  it("aborts a held canary with resume: abort, no override needed", async () => {
    await ws.write("environments/production.yml", environmentFile("", "canary"));
    await seedLive("1.0.0");
    // A canary of 1.1.0 held at 50%, as a run that stopped there leaves its record.
    const client = createGitHubClient({
      token: "t",
      baseUrl: github.url,
      secondMs: 1,
      getCache: false,
    });
    const [owner, repo] = REPOSITORY.split("/") as [string, string];
    const live = created().at(-1)?.payload.slot as string;
    const { data } = await client.request("POST /repos/{owner}/{repo}/deployments", {
      owner,
      repo,
      ref: "main",
      environment: "production",
      payload: {
        version: "1.1.0",
        strategy: "canary",
        previous_version: "1.0.0",
        hold_at: 50,
        slot: live === "blue" ? "green" : "blue",
      },
      required_contexts: [],
      auto_merge: false,
    });
    await client.request("POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses", {
      owner,
      repo,
      deployment_id: (data as { id: number }).id,
      state: "in_progress",
      description: "held at 50%: waiting for approval",
    });
    await ws.write("environments/production.yml", environmentFile(freezeNow(), "canary"));
    const aborted = await deploy({ resume: "abort", steps: "50,100" });
    expect(aborted.exitCode).toBe(0);
    expect(aborted.outputs.result).toBe("rolled-back");
    expect(created().at(-1)?.payload).toMatchObject({ strategy: "rollback", version: "1.0.0" });
  });

  it("has the post step finish a record in a window that opened after the main step", async () => {
    await seedLive("1.0.0");
    let refusing = true;
    github.override("repos/create-deployment-status", async (request, state) => {
      if (refusing && (request.body as { state?: string }).state === "success")
        return { status: 502, body: { message: "Server Error" } };
      return handlers["repos/create-deployment-status"]!(request, state);
    });
    const main = await deploy({ version: "1.1.0" });
    expect(main.state).toMatchObject({ stage: "outcome" });
    refusing = false;
    await ws.write("environments/production.yml", environmentFile(freezeNow()));
    const stateEnv = Object.fromEntries(
      Object.entries(main.state).map(([name, value]) => [`STATE_${name}`, value]),
    );
    const post = await deploy({ version: "1.1.0" }, stateEnv);
    expect(post.exitCode).toBe(0);
    expect(statuses().at(-1)).toMatchObject({ state: "success", description: "1.1.0 is live" });
  });
});
