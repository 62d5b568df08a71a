// The committed bundles and generated schema must be what a fresh build produces (the dist check).
import { describe, expect, it } from "@jest/globals";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { ROOT } from "../../tools/runner/run-action.js";

const actions = readdirSync(join(ROOT, "actions")).filter((name) =>
  readdirSync(join(ROOT, "actions", name)).includes("action.yml"),
);

describe("dist check", () => {
  it("every committed dist/ and environments/schema.json equal a fresh build of the sources", () => {
    // The same check a release makes before it tags (scripts/build.mjs --check).
    const check = spawnSync(process.execPath, [join(ROOT, "scripts", "build.mjs"), "--check"], {
      cwd: ROOT,
      encoding: "utf8",
    });
    expect(check.stderr.split("\n").filter((line) => line.includes("is stale"))).toEqual([]);
    expect(check.status).toBe(0);
  }, 300_000);
});

describe("action metadata", () => {
  it.each(actions)(
    "%s: node24, branding, every input and output described, main is the bundle",
    (name) => {
      const meta = parse(readFileSync(join(ROOT, "actions", name, "action.yml"), "utf8"));
      // A post step (deploy's cleanup after a killed main step) runs the same bundle.
      expect(meta.runs).toEqual({
        using: "node24",
        main: "dist/index.js",
        ...(meta.runs?.post ? { post: "dist/index.js" } : {}),
      });
      expect(meta.branding).toEqual({ icon: expect.any(String), color: expect.any(String) });
      expect(meta.description).toEqual(expect.any(String));
      for (const [input, spec] of Object.entries<Record<string, unknown>>(meta.inputs ?? {})) {
        expect({ input, description: typeof spec.description }).toEqual({
          input,
          description: "string",
        });
      }
      for (const [output, spec] of Object.entries<Record<string, unknown>>(meta.outputs ?? {})) {
        expect({ output, description: typeof spec.description }).toEqual({
          output,
          description: "string",
        });
      }
    },
  );
});
