// migration-check through its bundle, proving on a throwaway PostgreSQL: the demo, a column
// rename the static rules flag and the old version's queries prove breaking, and its expand/contract
// rewrite that passes.
import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { execFileSync } from "node:child_process";
import { readFile, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, runAction } from "../../tools/runner/run-action.js";
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

const throwawayClusters = async () =>
  (await readdir(tmpdir())).filter((name) => name.startsWith("shipgate-pg-"));

describe("migration-check bundle on a real PostgreSQL", () => {
  it("flags a column rename and proves it breaks the previous version (base from git)", async () => {
    const before = await throwawayClusters();
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
      "| Statement | Lock | Rows rewritten | Old-version queries broken | Verdict |",
    );
    expect(result.summary).toContain('(column "name" does not exist)');
    expect(await throwawayClusters()).toEqual(before);
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
