// The README tables generated from the code (scripts/docs.mjs) must match it: the check passes on
// the repository, and bites on a copy whose action.yml or table was changed. The real READMEs are
// only read; every edit happens in a temporary copy of actions/*/{action.yml,README.md}.
import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, parseDocument } from "yaml";
import * as z from "zod/mini";
import { DeploySectionSchema } from "../../src/schema/deploy.js";
import { resolveDeploySettings } from "../../src/deploy/settings.js";
import { ROOT } from "../../tools/runner/run-action.js";

const SCRIPT = join(ROOT, "scripts", "docs.mjs");

const actions = readdirSync(join(ROOT, "actions")).filter((name) =>
  readdirSync(join(ROOT, "actions", name)).includes("action.yml"),
);

function docs(...args: string[]): { status: number | null; output: string } {
  const run = spawnSync(process.execPath, [SCRIPT, ...args], { cwd: ROOT, encoding: "utf8" });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** The README without its generated blocks: the hand-written prose. */
function prose(readme: string): string {
  return readme.replace(/<!-- ([\w-]+): generated [^\n]*-->\n[\s\S]*?<!-- end \1 -->/g, "<$1>");
}

describe("generated README tables", () => {
  it("match action.yml and the deploy schema (npm run docs regenerates them)", () => {
    const { status, output } = docs("--check");
    expect({ status, output }).toEqual({ status: 0, output: expect.any(String) });
  }, 60_000);

  describe("in a copy of actions/", () => {
    let root: string;
    const readme = (name: string) => join(root, "actions", name, "README.md");

    beforeEach(() => {
      root = mkdtempSync(join(tmpdir(), "shipgate-docs-"));
      for (const name of actions) {
        mkdirSync(join(root, "actions", name), { recursive: true });
        for (const file of ["action.yml", "README.md"])
          copyFileSync(join(ROOT, "actions", name, file), join(root, "actions", name, file));
      }
      // The copy starts fresh whatever the repository's state, so each test sees only its change.
      expect(docs("--root", root).status).toBe(0);
      expect(docs("--check", "--root", root).status).toBe(0);
    }, 60_000);

    afterEach(() => rmSync(root, { recursive: true, force: true }));

    it("names the table whose action.yml description changed, and regenerates only it", () => {
      const path = join(root, "actions", "env-config", "action.yml");
      const meta = parseDocument(readFileSync(path, "utf8"));
      const input = Object.keys(parse(readFileSync(path, "utf8")).inputs)[0] ?? "";
      meta.setIn(["inputs", input, "description"], "Changed | with a pipe and LD_*, NODE_* names.");
      writeFileSync(path, meta.toString());
      const before = readFileSync(readme("env-config"), "utf8");

      const check = docs("--check", "--root", root);
      expect(check.status).toBe(1);
      expect(check.output).toContain(
        "actions/env-config/README.md: the inputs table differs from action.yml",
      );
      expect(check.output).not.toMatch(/outputs table|health-verify|deploy\/README/);
      expect(readFileSync(readme("env-config"), "utf8")).toBe(before);

      expect(docs("--root", root).status).toBe(0);
      const after = readFileSync(readme("env-config"), "utf8");
      const row = after.split("\n").find((line) => line.includes("Changed")) ?? "";
      const description = " | Changed \\| with a pipe and LD\\_\\*, NODE\\_\\* names. |";
      const name = `| \`${input}\` |`;
      expect(row.slice(0, name.length)).toBe(name);
      expect(row.slice(-description.length)).toBe(description);
      // Four cells: the pipe in the description is escaped, not a column.
      expect(row.split(/(?<!\\)\|/).length).toBe(6);
      expect(prose(after)).toBe(prose(before));
      expect(docs("--check", "--root", root).status).toBe(0);
    }, 60_000);

    it("names a hand-edited table of deploy: keys", () => {
      const text = readFileSync(readme("deploy"), "utf8");
      const edited = text.replace(/(\| `timeout` \| [^|]+ \| )`10m`/, "$1`5m`");
      expect(edited).not.toBe(text);
      writeFileSync(readme("deploy"), edited);
      const check = docs("--check", "--root", root);
      expect(check.status).toBe(1);
      expect(check.output).toContain(
        "actions/deploy/README.md: the deploy-keys table differs from src/schema/deploy.ts",
      );
    }, 60_000);

    it("names a README without the markers of a table", () => {
      const text = readFileSync(readme("health-verify"), "utf8");
      writeFileSync(readme("health-verify"), text.replace(/<!-- (end )?outputs[^\n]*-->\n/g, ""));
      for (const args of [["--check"], []]) {
        const run = docs(...args, "--root", root);
        expect(run.status).toBe(1);
        expect(run.output).toContain("actions/health-verify/README.md: has no outputs table");
      }
    }, 60_000);
  });
});

describe("the defaults the deploy keys document", () => {
  it("are the ones deploy applies to a section without them", () => {
    const schema = z.toJSONSchema(DeploySectionSchema, { io: "input" }) as {
      properties: Record<string, { description?: string }>;
    };
    const documented: Record<string, unknown> = {};
    for (const [key, property] of Object.entries(schema.properties)) {
      const fallback = /\s*Default: (.+)\.$/s.exec(property.description ?? "")?.[1];
      // "none": the key is absent unless given.
      if (fallback !== undefined && fallback !== "none") documented[key] = parse(fallback);
    }
    expect(Object.keys(documented).sort()).toEqual(
      [
        "batch",
        "drain",
        "min-healthy",
        "on-inconclusive",
        "skip-analysis",
        "slots",
        "steps",
        "strategy",
        "switch-buffer",
        "timeout",
      ].sort(),
    );
    const overrides = { hooks: { deploy: "true", traffic: "true" } };
    const locate = () => undefined;
    // batch and min-healthy are a fleet's: their defaults are checked on one.
    const { batch, "min-healthy": minHealthy, ...slots } = documented;
    expect(resolveDeploySettings(slots, overrides, locate)).toEqual(
      resolveDeploySettings({}, overrides, locate),
    );
    const fleet = { instances: ["vm1", "vm2", "vm3"] };
    expect(
      resolveDeploySettings({ ...fleet, batch, "min-healthy": minHealthy }, overrides, locate),
    ).toEqual(resolveDeploySettings(fleet, overrides, locate));
  });
});
