// deploy's restore drill with a real PostgreSQL: a seeded database dumped with pg_dump is the
// latest backup; the environment's restore hook rebuilds a scratch database from it with
// pg_restore and prints the backup's time; a service reading the scratch database proves, through
// the health checks, that the restored data is served. Recovery time and backup age are judged
// against recovery.rto and recovery.rpo and recorded on the GitHub stand-in with task deploy:drill.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdir, mkdtemp, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { findPostgresBin, startThrowaway, type Database } from "../../src/migrations/postgres.js";
import { startGitHubStandIn, type GitHubStandIn } from "../../tools/github-standin/index.js";
import { Cleanup } from "../../tools/lab/lab.js";
import { runAction, type ActionResult } from "../../tools/runner/run-action.js";

const run = promisify(execFile);
const REPOSITORY = "octo-org/shop";
const ORDERS = ["espresso", "flat white", "cortado"];
const cleanup = new Cleanup();
let workspace: string;
let bin: string;
let database: Database;
let github: GitHubStandIn;
let service: Server;

/** The shop's service: how many orders the scratch database holds, or 503 while there is none. */
function startShop(config: pg.ClientConfig): Promise<Server> {
  const server = createServer((req, res) => {
    // A client per request: a pooled connection would stop the restore hook dropping the database.
    const client = new pg.Client({ ...config, database: "scratch" });
    client
      .connect()
      .then(() => client.query<{ orders: number }>("SELECT count(*)::int AS orders FROM orders"))
      .then(({ rows }) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ status: "UP", orders: rows[0]?.orders ?? 0 }));
      })
      .catch((error: Error) => {
        res.writeHead(503, { "content-type": "application/json" });
        res.end(JSON.stringify({ status: "DOWN", error: error.message }));
      })
      .finally(() => void client.end().catch(() => undefined));
    req.resume();
  });
  return new Promise((done) => server.listen(0, "127.0.0.1", () => done(server)));
}

const RESTORE_SCRIPT = `#!/usr/bin/env bash
# The shop's restore: the scratch database rebuilt from the latest dump; the catalog says when
# the dump was taken.
set -euo pipefail
echo "restoring $1 (SHIPGATE_DRILL=$SHIPGATE_DRILL)"
"$PG_BIN/dropdb" --if-exists --force scratch
"$PG_BIN/createdb" scratch
"$PG_BIN/pg_restore" --no-owner --exit-on-error -d scratch backups/latest.dump
echo "backup-time: $(cat backups/latest.time)"
`;

function environmentFile(url: string): string {
  return `service: shop
url: ${url}
deploy:
  hooks:
    restore: bash restore.sh {{ environment }}
  timeout: 1m
health:
  checks:
    - name: restored-orders
      url: \${env:SERVICE_URL}/healthz
      conditions: ["[STATUS] == 200", "[BODY].status == UP", "[BODY].orders == ${ORDERS.length}"]
      interval: 500ms
      deadline: 20s
recovery:
  rto: 2m
  rpo: 1h
`;
}

beforeAll(async () => {
  workspace = await mkdtemp(join(tmpdir(), "shipgate-restore-"));
  cleanup.add(() => rm(workspace, { recursive: true, force: true }));
  const serverBin = await findPostgresBin();
  database = await startThrowaway(serverBin);
  // The client tools (pg_dump, pg_restore, createdb) beside the server's, where Debian puts them.
  bin = dirname(await realpath(join(serverBin, "pg_ctl")));
  cleanup.add(() => database.remove());
  const admin = new pg.Client(database.config);
  await admin.connect();
  await admin.query("CREATE DATABASE shop");
  await admin.end();
  const shop = new pg.Client({ ...database.config, database: "shop" });
  await shop.connect();
  await shop.query("CREATE TABLE orders (id serial PRIMARY KEY, item text NOT NULL)");
  for (const item of ORDERS) await shop.query("INSERT INTO orders (item) VALUES ($1)", [item]);
  await shop.end();
  await mkdir(join(workspace, "backups"));
  await mkdir(join(workspace, "environments"));
  await run(join(bin, "pg_dump"), ["-Fc", "-f", join(workspace, "backups/latest.dump"), "shop"], {
    env: pgEnv(),
  });
  await writeFile(join(workspace, "restore.sh"), RESTORE_SCRIPT);
  service = await startShop(database.config);
  cleanup.add(() => new Promise<void>((done) => service.close(() => done())));
  const url = `http://127.0.0.1:${(service.address() as AddressInfo).port}`;
  await writeFile(join(workspace, "environments/scratch.yml"), environmentFile(url));
  github = await startGitHubStandIn({ repositories: [REPOSITORY] });
  cleanup.add(() => github.stop());
}, 120_000);

afterAll(() => cleanup.run(), 60_000);
beforeEach(() => github.reset());

function pgEnv(): Record<string, string> {
  const { host, port, user } = database.config;
  return {
    PATH: process.env.PATH ?? "",
    PG_BIN: bin,
    PGHOST: String(host),
    PGPORT: String(port),
    PGUSER: String(user),
  };
}

/** The catalog's record of when the latest dump was taken. */
const backupTakenAt = (time: Date) =>
  writeFile(join(workspace, "backups/latest.time"), `${time.toISOString()}\n`);

function restoreDrill(): Promise<ActionResult> {
  return runAction({
    action: "deploy",
    workspace,
    repository: REPOSITORY,
    apiUrl: github.url,
    inputs: { environment: "scratch", version: "2.4.0", drill: "restore", token: "test-token" },
    env: pgEnv(),
    timeoutMs: 90_000,
  });
}

const created = () =>
  github.calls
    .filter((call) => call.operationId === "repos/create-deployment")
    .map((call) => call.requestBody as Record<string, unknown>);

const statuses = () =>
  github.calls
    .filter((call) => call.operationId === "repos/create-deployment-status")
    .map((call) => (call.requestBody as { state: string }).state);

const issues = () => github.calls.filter((call) => call.operationId === "issues/create");

describe("a restore drill on PostgreSQL", () => {
  it("rebuilds the scratch database from the dump, proves it serves, and passes", async () => {
    const dumpedAt = new Date(Date.now() - 10 * 60_000);
    await backupTakenAt(dumpedAt);
    const startedAt = Date.now();
    const result = await restoreDrill();
    expect(result.exitCode).toBe(0);
    expect(result.outputs.result).toBe("drill-passed");
    const verdict = JSON.parse(result.outputs.drill ?? "{}") as Record<string, number | boolean>;
    expect(verdict).toEqual({
      kind: "restore",
      rto_seconds: 120,
      recovery_seconds: expect.any(Number),
      rpo_seconds: 3600,
      backup_age_seconds: expect.any(Number),
      passed: true,
    });
    expect(verdict.recovery_seconds as number).toBeGreaterThan(0);
    expect(verdict.recovery_seconds as number).toBeLessThan((Date.now() - startedAt) / 1000);
    // The backup's age is the catalog's time to the restore's start: ten minutes and a little.
    expect(verdict.backup_age_seconds as number).toBeGreaterThanOrEqual(600);
    expect(verdict.backup_age_seconds as number).toBeLessThan(
      600 + (Date.now() - startedAt) / 1000,
    );
    expect(result.lines.join("\n")).toContain("restoring scratch (SHIPGATE_DRILL=1)");

    // The restored data is what the service serves now.
    const shop = new pg.Client({ ...database.config, database: "scratch" });
    await shop.connect();
    const { rows } = await shop.query<{ item: string }>("SELECT item FROM orders ORDER BY id");
    await shop.end();
    expect(rows.map((row) => row.item)).toEqual(ORDERS);

    expect(created()).toEqual([
      expect.objectContaining({
        task: "deploy:drill",
        environment: "scratch",
        payload: expect.objectContaining({ version: "2.4.0", strategy: "restore", drill: verdict }),
      }),
    ]);
    expect(statuses()).toEqual(["success"]);
    expect(issues()).toEqual([]);
    expect(result.summary).toContain("restore drill — ✅ passed");
  }, 90_000);

  it("fails on a backup older than the RPO, and opens an incident", async () => {
    await backupTakenAt(new Date(Date.now() - 3 * 3_600_000));
    const result = await restoreDrill();
    expect(result.exitCode).toBe(1);
    const verdict = JSON.parse(result.outputs.drill ?? "{}") as Record<string, number | boolean>;
    expect(verdict).toMatchObject({ kind: "restore", passed: false });
    expect(verdict.backup_age_seconds as number).toBeGreaterThanOrEqual(3 * 3600);
    // It served: only the backup was too old.
    expect(verdict.recovery_seconds).toEqual(expect.any(Number));
    expect(statuses()).toEqual(["success"]);
    const [incident, ...more] = issues();
    expect(more).toEqual([]);
    expect((incident?.requestBody as { title: string }).title).toMatch(
      /^Incident on scratch: recovery drill failed/,
    );
    expect((incident?.requestBody as { body: string }).body).toContain(
      "the backup was 3h old, over the RPO of 1h",
    );
  }, 90_000);
});
