// migration-check through its bundle, proving on a throwaway PostgreSQL: the issue's demo, a column
// rename the static rules flag and the old version's queries prove breaking, and its expand/contract
// rewrite that passes; dbmate, golang-migrate and sqitch layouts with their down migrations; the
// sticky pull request comment on the GitHub stand-in.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import { execFileSync } from "node:child_process";
import { chmod, mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findPostgresBin, startThrowaway, type Database } from "../../src/migrations/postgres.js";
import {
  errorBody,
  startGitHubStandIn,
  type GitHubStandIn,
  type JsonObject,
} from "../../tools/github-standin/index.js";
import { examplePayload, ROOT, runAction } from "../../tools/runner/run-action.js";
import { createWorkspace, type Workspace } from "../../tools/runner/workspace.js";

const FIXTURES = join(ROOT, "test/fixtures/migrations/rename");
let ws: Workspace;

beforeEach(async () => {
  ws = await createWorkspace({ withExamples: false });
});
afterEach(async () => {
  await ws.remove();
});

async function copy(fixture: string, to: string): Promise<void> {
  await ws.write(to, await readFile(join(FIXTURES, fixture), "utf8"));
}

const git = (...args: string[]) =>
  execFileSync(
    "git",
    ["-C", ws.dir, "-c", "user.name=t", "-c", "user.email=t@example.com", ...args],
    {
      encoding: "utf8",
    },
  ).trim();

/** A temporary directory of the action's own (TMPDIR), open to the postgres user the cluster runs as. */
async function privateTmp(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "migration-check-tmp-"));
  await chmod(dir, 0o777);
  return dir;
}

describe("migration-check bundle on a real PostgreSQL", () => {
  it("flags a column rename and proves it breaks the previous version (base from git)", async () => {
    const temp = await privateTmp();
    await copy("base/db/migrations/001_users.sql", "db/migrations/001_users.sql");
    await copy("old-queries.sql", "db/old-queries.sql");
    git("init", "-q");
    git("add", ".");
    git("commit", "-q", "-m", "base");
    const base = git("rev-parse", "HEAD");
    await copy("unsafe/db/migrations/002_rename_name.sql", "db/migrations/002_rename_name.sql");
    const result = await runAction({
      action: "migration-check",
      workspace: ws.dir,
      inputs: {
        path: "db/migrations",
        "base-ref": base,
        "old-queries": "db/old-queries.sql",
        "seed-rows": "200",
      },
      env: { TMPDIR: temp },
      timeoutMs: 120_000,
    });
    expect(result.outputs.result).toBe("unsafe");
    expect(result.exitCode).toBe(1);
    const report = JSON.parse(result.outputs.report ?? "{}");
    expect(report.migrations).toEqual([
      { path: "db/migrations/002_rename_name.sql", status: "added" },
    ]);
    const rename = report.statements.find((s: { sql: string }) => s.sql.includes("RENAME"));
    expect(rename).toMatchObject({
      lock: "users: AccessExclusiveLock",
      findings: ["renaming-column"],
      verdict: "unsafe",
    });
    expect(rename.oldQueriesBroken).toHaveLength(3);
    expect(result.annotations).toContainEqual(
      expect.objectContaining({
        level: "error",
        file: "db/migrations/002_rename_name.sql",
        line: 3,
        column: 13,
        title: "migration-check: renaming-column",
      }),
    );
    expect(result.summary).toContain(
      "| Statement | Lock | Rows rewritten / scanned | Old-version queries broken | Verdict |",
    );
    expect(rename.lockTimeoutMs).toBe(2000);
    expect(rename.lockTimeoutProbe).toMatchObject({ honoured: true, heldBy: "AccessShareLock" });
    expect(result.summary).toContain('(column "name" does not exist)');
    // Nothing left running or on disk: the throwaway cluster (and the parser's link) removed.
    expect(await readdir(temp)).toEqual([]);
    await rm(temp, { recursive: true });
  });

  it("passes the expand/contract rewrite (changed files given, no git)", async () => {
    await copy("base/db/migrations/001_users.sql", "db/migrations/001_users.sql");
    await copy("old-queries.sql", "db/old-queries.sql");
    await copy("safe/db/migrations/002_add_full_name.sql", "db/migrations/002_add_full_name.sql");
    const result = await runAction({
      action: "migration-check",
      workspace: ws.dir,
      inputs: {
        path: "db/migrations",
        "changed-files": "db/migrations/002_add_full_name.sql\nREADME.md",
        "old-queries": "db/*.sql",
      },
      timeoutMs: 120_000,
    });
    expect(result.outputs.result).toBe("safe");
    expect(result.exitCode).toBe(0);
    const report = JSON.parse(result.outputs.report ?? "{}");
    expect(report.proof.seeded).toEqual([{ table: "users", rows: 1000 }]);
    expect(
      report.statements.every(
        (s: { oldQueriesBroken: string[] }) => s.oldQueriesBroken.length === 0,
      ),
    ).toBe(true);
    expect(report.statements.map((s: { verdict: string }) => s.verdict)).toEqual([
      "safe",
      "safe",
      "safe",
      "safe",
      "safe",
    ]);
  });

  it("reports SQL the parser rejects at its line, with result error", async () => {
    await ws.write("migrations/001_bad.sql", "SELECT 1;\nALTER TABLE users ADD COLUMN;\n");
    const result = await runAction({
      action: "migration-check",
      workspace: ws.dir,
      inputs: { "changed-files": "migrations/001_bad.sql" },
      timeoutMs: 60_000,
    });
    expect(result.outputs.result).toBe("error");
    expect(result.exitCode).toBe(1);
    expect(result.annotations).toContainEqual(
      expect.objectContaining({ level: "error", file: "migrations/001_bad.sql", line: 2 }),
    );
  });
});

const REPO = "octo-org/shop";
const PR = 7;
const TOKEN = "ghs_migrationcheck_token_51d2";
const PASSWORD = "pg-s3cret-Pa55";

describe("layouts, down migrations and the pull request comment (on a given server)", () => {
  let server: Database;
  let github: GitHubStandIn;
  let url: string;
  beforeAll(async () => {
    server = await startThrowaway(await findPostgresBin());
    // The throwaway cluster trusts local connections: the password is never checked, only carried.
    url = `postgres://postgres:${PASSWORD}@${server.config.host}:${server.config.port}/postgres`;
    github = await startGitHubStandIn({ repositories: [REPO] });
  }, 60_000);
  afterAll(async () => {
    await github?.stop();
    await server?.remove();
  });
  afterEach(() => {
    expect(github.requestViolations).toEqual([]);
    expect(github.responseViolations).toEqual([]);
    github.reset();
  });

  const event = (base: string) => {
    const payload = examplePayload("pull_request", "opened") as JsonObject & {
      pull_request: JsonObject & { base: JsonObject };
    };
    payload.number = PR;
    payload.pull_request.number = PR;
    payload.pull_request.base = { ...payload.pull_request.base, sha: base, ref: "main" };
    return { name: "pull_request", payload };
  };
  const reportOf = (result: { outputs: Record<string, string | undefined> }) =>
    JSON.parse(result.outputs.report ?? "{}");

  it("dbmate: up and down sections linted and proven; one comment, updated in place, no password", async () => {
    await ws.write(
      "db/migrations/20240101000000_users.sql",
      "-- migrate:up\nCREATE TABLE users (id bigint PRIMARY KEY, name text);\n\n-- migrate:down\nDROP TABLE users;\n",
    );
    await ws.write(
      "db/queries.sql",
      "SELECT id, name FROM users WHERE id = $1;\nSELECT '<b>@octocat</b> | **x**' AS note, name FROM users;\n",
    );
    git("init", "-q");
    git("add", ".");
    git("commit", "-q", "-m", "base");
    const base = git("rev-parse", "HEAD");
    const migration = "db/migrations/20240201000000_rename.sql";
    const up =
      "-- migrate:up\nSET lock_timeout = '100ms';\nALTER TABLE users RENAME COLUMN name TO full_name;\n";
    await ws.write(
      migration,
      `${up}\n-- migrate:down\nSET lock_timeout = '100ms';\nALTER TABLE users RENAME COLUMN fullname TO name;\n`,
    );
    const run = () =>
      runAction({
        action: "migration-check",
        workspace: ws.dir,
        inputs: {
          path: "db/migrations",
          "old-queries": "db/queries.sql",
          "database-url": url,
          token: TOKEN,
          "seed-rows": "100",
        },
        event: event(base),
        apiUrl: github.url,
        repository: REPO,
        timeoutMs: 120_000,
      });

    const first = await run();
    expect(first.outputs.result).toBe("error");
    expect(first.exitCode).toBe(1);
    const report = reportOf(first);
    expect(
      report.statements.map((s: { direction: string; sql: string }) => [s.direction, s.sql]),
    ).toEqual([
      ["up", "SET lock_timeout = '100ms'"],
      ["up", "ALTER TABLE users RENAME COLUMN name TO full_name"],
      ["down", "SET lock_timeout = '100ms'"],
      ["down", "ALTER TABLE users RENAME COLUMN fullname TO name"],
    ]);
    const down = report.statements[3];
    expect(down).toMatchObject({
      verdict: "error",
      file: migration,
      errorAt: { file: migration, line: 7, column: 1 },
      findings: ["renaming-column"],
    });
    expect(report.findings).toContainEqual(
      expect.objectContaining({ rule: "renaming-column", direction: "down", level: "warning" }),
    );
    expect(first.annotations).toContainEqual(
      expect.objectContaining({
        level: "error",
        file: migration,
        line: 7,
        column: 1,
        title: "migration-check: proof of the down migration",
      }),
    );
    let comments = github.storedComments(REPO, PR);
    expect(comments).toHaveLength(1);
    expect(first.outputs["comment-url"]).toContain(`#issuecomment-${comments[0]!.id}`);
    const body = comments[0]!.body;
    expect(body).toMatch(
      /^<!-- shipgate:migration-check run-time="[^"]+" -->\n## migration-check: 💥 error/,
    );
    expect(body).toContain("### Down migrations");
    // SQL from the files is inline code: no HTML, mention or emphasis renders, the pipe is escaped.
    expect(body).toContain("`SELECT '<b>@octocat</b> \\| **x**' AS note, name FROM users (column");
    expect(body.replace(/`[^`]*`/g, "")).not.toMatch(/<b>|@octocat/);

    await ws.write(
      migration,
      `${up}\n-- migrate:down\nALTER TABLE users RENAME COLUMN full_name TO name;\n`,
    );
    const second = await run();
    expect(second.outputs.result).toBe("unsafe");
    expect(reportOf(second).down).toEqual({ ran: true, oldQueriesBroken: [] });
    comments = github.storedComments(REPO, PR);
    expect(comments).toHaveLength(1);
    expect(github.callsTo("issues/create-comment")).toHaveLength(1);
    expect(github.callsTo("issues/update-comment")).toHaveLength(1);
    expect(comments[0]!.body).toContain(
      "After the down migrations, every one of the previous version's queries works.",
    );
    const visible = [first, second]
      .flatMap((r) => [...r.lines, ...Object.values(r.outputs), r.summary])
      .concat(comments.map((c) => c.body))
      .join("\n");
    expect(visible).not.toContain(PASSWORD);
    expect(visible).not.toContain(TOKEN);
  });

  it("golang-migrate: .down.sql after the up; a down dropping data is a warning; no token, no comment", async () => {
    await ws.write(
      "m/000001_users.up.sql",
      "CREATE TABLE users (id bigint PRIMARY KEY, name text);\n",
    );
    await ws.write("m/000001_users.down.sql", "DROP TABLE users;\n");
    await ws.write("m/000002_age.up.sql", "ALTER TABLE users ADD COLUMN age bigint;\n");
    await ws.write(
      "m/000002_age.down.sql",
      "SET lock_timeout = '1s';\nALTER TABLE users DROP COLUMN age;\n",
    );
    await ws.write("q.sql", "SELECT id, name FROM users;\n");
    const result = await runAction({
      action: "migration-check",
      workspace: ws.dir,
      inputs: {
        path: "m",
        "changed-files": "m/000002_age.up.sql\nm/000002_age.down.sql",
        "old-queries": "q.sql",
        "database-url": url,
        "fail-on": "warning",
        "probe-lock-timeout": "false",
      },
      event: event("0".repeat(40)),
      apiUrl: github.url,
      repository: REPO,
      timeoutMs: 120_000,
    });
    const report = reportOf(result);
    expect(report.migrations).toEqual([
      { path: "m/000002_age.up.sql", status: "added", down: "m/000002_age.down.sql" },
    ]);
    expect(report.result).toBe("safe");
    expect(report.level).toBe("warning");
    expect(result.exitCode).toBe(1);
    const drop = report.statements.find((s: { sql: string }) => s.sql.includes("DROP COLUMN"));
    expect(drop).toMatchObject({
      direction: "down",
      verdict: "warning",
      findings: ["dropping-column"],
      lock: "users: AccessExclusiveLock",
      lockTimeoutMs: 1000,
    });
    expect(drop.lockTimeoutProbe).toBeUndefined();
    expect(report.down).toEqual({ ran: true, oldQueriesBroken: [] });
    expect(result.annotations).toContainEqual(
      expect.objectContaining({
        level: "warning",
        file: "m/000002_age.down.sql",
        message: expect.stringContaining("down migration: dropping-column"),
      }),
    );
    expect(github.storedComments(REPO, PR)).toEqual([]);
    expect(result.outputs["comment-url"]).toBeUndefined();
  });

  it("sqitch: deploy/ in sqitch.plan's order, verify/ after each, revert/ as the downs, last first", async () => {
    await ws.write(
      "db/sqitch.plan",
      "%syntax-version=1.0.0\n%project=shop\n\nusers 2024-01-01T00:00:00Z A <a@example.com>\n" +
        "orders [users] 2024-01-02T00:00:00Z A <a@example.com>\naudit 2024-01-03T00:00:00Z A <a@example.com>\n",
    );
    await ws.write(
      "db/deploy/users.sql",
      "BEGIN;\nCREATE TABLE users (id bigint PRIMARY KEY);\nCOMMIT;\n",
    );
    await ws.write("db/revert/users.sql", "BEGIN;\nDROP TABLE users;\nCOMMIT;\n");
    await ws.write(
      "db/deploy/orders.sql",
      "BEGIN;\nCREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users);\nCOMMIT;\n",
    );
    await ws.write("db/revert/orders.sql", "BEGIN;\nDROP TABLE orders;\nCOMMIT;\n");
    await ws.write(
      "db/deploy/audit.sql",
      "BEGIN;\nCREATE TABLE audit (at timestamptz);\nCOMMIT;\n",
    );
    await ws.write("db/revert/audit.sql", "BEGIN;\nDROP TABLE audit;\nCOMMIT;\n");
    await ws.write("db/verify/users.sql", "SELECT id FROM users WHERE false;\n");
    await ws.write(
      "db/verify/orders.sql",
      "BEGIN;\nSELECT id, user_id FROM orders WHERE false;\nROLLBACK;\n",
    );
    await ws.write(
      "db/verify/audit.sql",
      "BEGIN;\nSELECT at, actor FROM audit WHERE false;\nROLLBACK;\n",
    );
    const result = await runAction({
      action: "migration-check",
      workspace: ws.dir,
      inputs: {
        path: "db",
        "changed-files":
          "db/deploy/orders.sql\ndb/deploy/audit.sql\ndb/revert/orders.sql\ndb/revert/audit.sql",
        "database-url": url,
        comment: "false",
        token: TOKEN,
      },
      event: event("0".repeat(40)),
      apiUrl: github.url,
      repository: REPO,
      timeoutMs: 120_000,
    });
    const report = reportOf(result);
    expect(result.lines.join("\n")).toContain(
      "Layout sqitch: 1 base migration(s), 2 added or changed, 2 with a down migration",
    );
    expect(report.migrations.map((m: { path: string }) => m.path)).toEqual([
      "db/deploy/orders.sql",
      "db/deploy/audit.sql",
    ]);
    expect(
      report.statements.map((s: { direction: string; file: string }) => `${s.direction} ${s.file}`),
    ).toEqual([
      "up db/deploy/orders.sql",
      "up db/deploy/audit.sql",
      "down db/revert/audit.sql",
      "down db/revert/orders.sql",
    ]);
    expect(report.statements.map((s: { verdict: string }) => s.verdict)).toEqual([
      "safe",
      "safe",
      "warning", // a down that drops a table loses its rows
      "warning",
    ]);
    expect(report.down.ran).toBe(true);
    // audit's deploy script lacks the column its verify script checks: the change is an error.
    expect(report.verified).toEqual([
      { change: "db/deploy/orders.sql", file: "db/verify/orders.sql" },
      {
        change: "db/deploy/audit.sql",
        file: "db/verify/audit.sql",
        error: 'column "actor" does not exist',
        errorAt: { file: "db/verify/audit.sql", line: 2, column: 12 },
      },
    ]);
    expect(result.outputs.result).toBe("error");
    expect(result.annotations).toContainEqual(
      expect.objectContaining({ level: "error", file: "db/verify/audit.sql", line: 2, column: 12 }),
    );
    expect(result.summary).toContain('- 💥 db/verify/audit.sql: column "actor" does not exist');
    expect(github.storedComments(REPO, PR)).toEqual([]);
  });

  it("keeps the report in the summary, with a warning, when the token cannot comment (a fork)", async () => {
    github.override("issues/create-comment", () => ({
      status: 403,
      body: errorBody(403, "Resource not accessible by integration"),
    }));
    await ws.write("migrations/001_a.sql", "ALTER TABLE users DROP COLUMN legacy;\n");
    const result = await runAction({
      action: "migration-check",
      workspace: ws.dir,
      inputs: { "changed-files": "migrations/001_a.sql", proof: "false", token: TOKEN },
      event: event("0".repeat(40)),
      apiUrl: github.url,
      repository: REPO,
      timeoutMs: 60_000,
    });
    expect(result.outputs.result).toBe("unsafe");
    expect(github.storedComments(REPO, PR)).toEqual([]);
    expect(result.outputs["comment-url"]).toBeUndefined();
    expect(result.summary).toContain("dropping-column");
    expect(result.annotations).toContainEqual(
      expect.objectContaining({
        level: "warning",
        message: expect.stringContaining("pull requests from forks get a read-only token"),
      }),
    );
  });

  it("refuses comment: true without a token before doing anything", async () => {
    await ws.write("migrations/001_a.sql", "SELECT 1;\n");
    const result = await runAction({
      action: "migration-check",
      workspace: ws.dir,
      inputs: { "changed-files": "migrations/001_a.sql", comment: "true", proof: "false" },
      timeoutMs: 60_000,
    });
    expect(result.exitCode).toBe(1);
    expect(result.annotations).toContainEqual(
      expect.objectContaining({
        level: "error",
        message: expect.stringContaining('input "comment": true needs a token'),
      }),
    );
    expect(result.summary).toBe("");
  });
});
