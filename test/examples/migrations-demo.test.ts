// The migrations demo of examples/migrations through migration-check's bundle, proving on a
// throwaway PostgreSQL as the action does on a runner: the pull request that renames a column is
// flagged by the static rules and proven to break the old version's queries; its expand/contract
// rewrite passes, and so does the later contract step against the version that replaced it.
import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { execFileSync } from "node:child_process";
import { cp, readFile } from "node:fs/promises";
import { join } from "node:path";
import { ROOT, runAction, type ActionResult } from "../../tools/runner/run-action.js";
import { createWorkspace, type Workspace } from "../../tools/runner/workspace.js";

const DEMO = join(ROOT, "examples/migrations");
const MIGRATIONS = "db/migrations";

interface Row {
  file: string;
  sql: string;
  lock: string;
  findings: string[];
  oldQueriesBroken: string[];
  verdict: string;
}

let ws: Workspace;
beforeEach(async () => {
  ws = await createWorkspace({ withExamples: false });
});
afterEach(async () => {
  await ws.remove();
});

const git = (...args: string[]) =>
  execFileSync(
    "git",
    ["-C", ws.dir, "-c", "user.name=t", "-c", "user.email=t@example.com", ...args],
    { encoding: "utf8" },
  ).trim();

/** The demo's folder `from` (db/ and below) copied into the workspace's db/. */
const add = (from: string) => cp(join(DEMO, from, "db"), join(ws.dir, "db"), { recursive: true });

/** Commits what the workspace holds as the base branch; returns its commit. */
function commitBase(): string {
  git("init", "-q");
  git("add", ".");
  git("commit", "-q", "-m", "base");
  return git("rev-parse", "HEAD");
}

function check(base: string): Promise<ActionResult> {
  return runAction({
    action: "migration-check",
    workspace: ws.dir,
    inputs: {
      path: MIGRATIONS,
      "base-ref": base,
      "old-queries": "db/old-queries.sql",
      "seed-rows": "500",
    },
    timeoutMs: 120_000,
  });
}

const rowsOf = (result: ActionResult): Row[] =>
  (JSON.parse(result.outputs.report ?? "{}") as { statements: Row[] }).statements;

describe("examples/migrations on a real PostgreSQL", () => {
  it("flags the rename and proves it breaks every query of 1.4 that names the column", async () => {
    await add(".");
    const base = commitBase();
    await add("rename");
    const result = await check(base);
    expect(result.outputs.result).toBe("unsafe");
    expect(result.exitCode).toBe(1);
    const rename = rowsOf(result).find((row) => row.sql.includes("RENAME COLUMN"));
    expect(rename).toMatchObject({
      file: `${MIGRATIONS}/004_rename_customers_name.sql`,
      lock: "customers: AccessExclusiveLock",
      findings: ["renaming-column"],
      verdict: "unsafe",
    });
    // Every statement of db/old-queries.sql that names customers.name, and only those.
    const oldQueries = await readFile(join(DEMO, "db/old-queries.sql"), "utf8");
    const naming = oldQueries
      .split(";")
      .filter((sql) => /\bname\b/.test(sql.replace(/--.*$/gm, "")));
    expect(naming).toHaveLength(5);
    expect(rename?.oldQueriesBroken).toHaveLength(naming.length);
    expect(rename?.oldQueriesBroken.join("\n")).toContain('column "name" does not exist');
    expect(result.annotations).toContainEqual(
      expect.objectContaining({
        level: "error",
        file: `${MIGRATIONS}/004_rename_customers_name.sql`,
        title: "migration-check: renaming-column",
      }),
    );
  });

  it("passes the expand step: display_name beside name, kept in step by a trigger", async () => {
    await add(".");
    const base = commitBase();
    await add("expand-contract");
    const result = await check(base);
    expect(result.exitCode).toBe(0);
    expect(result.outputs.result).toBe("safe");
    const rows = rowsOf(result);
    expect(rows.map((row) => row.file)).toEqual(
      Array(rows.length).fill(`${MIGRATIONS}/004_expand_customers_display_name.sql`),
    );
    expect(rows.length).toBeGreaterThanOrEqual(4);
    for (const row of rows) expect(row).toMatchObject({ oldQueriesBroken: [], verdict: "safe" });
  });

  it("passes the contract step against 1.5's queries, the column drop suppressed with its reason", async () => {
    await add(".");
    await add("expand-contract");
    // The contract pull request comes once 1.5 is the old version: its queries are the ones to keep.
    const contract = `${MIGRATIONS}/005_contract_customers_name.sql`;
    await ws.write(
      "db/old-queries.sql",
      await readFile(join(DEMO, "contract/db/old-queries.sql"), "utf8"),
    );
    const base = commitBase();
    await ws.write(contract, await readFile(join(DEMO, "contract", contract), "utf8"));
    const result = await check(base);
    expect(result.exitCode).toBe(0);
    expect(result.outputs.result).toBe("safe");
    const rows = rowsOf(result);
    expect(rows.find((row) => row.sql.includes("DROP COLUMN name"))).toMatchObject({
      findings: [],
      oldQueriesBroken: [],
      verdict: "safe",
    });
    expect(result.lines.join("\n")).toContain("Suppressed: 1.4 is retired everywhere");
  });
});
