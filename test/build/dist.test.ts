// The committed bundles and generated schema must be what a fresh build produces (the dist check).
import { describe, expect, it } from "@jest/globals";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { ROOT } from "../../tools/runner/run-action.js";

const actions = readdirSync(join(ROOT, "actions")).filter((name) =>
  readdirSync(join(ROOT, "actions", name)).includes("action.yml"),
);

describe("dist check", () => {
  it("every committed dist/ equals a fresh ncc build of its source", () => {
    const out = mkdtempSync(join(tmpdir(), "shipgate-dist-"));
    try {
      execFileSync(process.execPath, [join(ROOT, "scripts", "build.mjs"), "--out", out], {
        cwd: ROOT,
        stdio: "pipe",
      });
      for (const name of actions) {
        const fresh = readdirSync(join(out, name)).sort();
        const committed = readdirSync(join(ROOT, "actions", name, "dist")).sort();
        expect({ name, files: committed }).toEqual({ name, files: fresh });
        for (const file of fresh) {
          const same = readFileSync(join(out, name, file)).equals(
            readFileSync(join(ROOT, "actions", name, "dist", file)),
          );
          if (!same)
            throw new Error(
              `actions/${name}/dist/${file} is stale: run npm run build and commit the result`,
            );
        }
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 300_000);

  it("environments/schema.json is generated from the current zod schema", () => {
    const out = mkdtempSync(join(tmpdir(), "shipgate-schema-"));
    try {
      execFileSync(
        process.execPath,
        [join(ROOT, "scripts", "build.mjs"), "--schema-only", "--out", out],
        { cwd: ROOT, stdio: "pipe" },
      );
      const committed = readFileSync(join(ROOT, "environments", "schema.json"), "utf8");
      expect(readFileSync(join(out, "schema.json"), "utf8")).toBe(committed);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);
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
