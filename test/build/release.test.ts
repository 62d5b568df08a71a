// A release of shipgate, made in a clone of this repository exactly as a maintainer makes it: the
// bundles checked against the sources, the notes committed, the version and major tags set, and
// the examples pinned to the release's commit in a commit of their own.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../../tools/runner/run-action.js";

let clone: string;
const git = (...args: string[]) =>
  execFileSync("git", args, { cwd: clone, encoding: "utf8" }).trim();
const release = (version: string) =>
  spawnSync(process.execPath, [join(clone, "scripts", "release.mjs"), version], {
    cwd: clone,
    encoding: "utf8",
  });

beforeAll(() => {
  // Inside the project's .tmp/, with node_modules hard-linked in place: the bundles a build makes
  // depend on where node_modules sits relative to the sources, as in a real checkout.
  mkdirSync(join(ROOT, ".tmp"), { recursive: true });
  clone = mkdtempSync(join(ROOT, ".tmp", "release-"));
  execFileSync("git", ["clone", "--quiet", "--no-hardlinks", ROOT, clone]);
  git("config", "user.email", "release@example.com");
  git("config", "user.name", "Release Test");
  execFileSync("cp", ["-al", join(ROOT, "node_modules"), join(clone, "node_modules")]);
});
afterAll(() => rmSync(clone, { recursive: true, force: true }));

describe("scripts/release.mjs", () => {
  it("tags a checked release, moves the major tag, writes notes and pins the examples", () => {
    const made = release("0.2.0");
    expect(made.stderr).not.toMatch(/release:/);
    expect(made.status).toBe(0);
    const tagged = git("rev-parse", "v0.2.0^{commit}");
    expect(git("rev-parse", "v0^{commit}")).toBe(tagged);
    expect(git("log", "-1", "--format=%s", tagged)).toBe("release v0.2.0");
    expect(readFileSync(join(clone, "docs", "releases", "v0.2.0.md"), "utf8")).toMatch(
      /^# shipgate v0\.2\.0\n/,
    );
    // The commit after the release pins every example to it.
    expect(git("log", "-1", "--format=%s")).toBe(`examples: pinned to v0.2.0 (${tagged})`);
    const example = readFileSync(join(clone, "examples", "release.yml"), "utf8");
    expect(example).toContain(`shipgate/shipgate/.github/workflows/release.yml@${tagged} # v0.2.0`);
    expect(git("status", "--porcelain", "--untracked-files=no")).toBe("");
  }, 600_000);

  it("refuses a version that exists, one not later than the last, and a changed tree", () => {
    expect(release("0.2.0").stderr).toMatch(/v0\.2\.0 exists already/);
    expect(release("0.1.9").stderr).toMatch(/v0\.1\.9 is not later than v0\.2\.0/);
    expect(release("two").stderr).toMatch(/"two" is not a version/);
    writeFileSync(join(clone, "README.md"), "changed\n");
    const dirty = release("0.3.0");
    expect(dirty.status).toBe(1);
    expect(dirty.stderr).toMatch(/the working tree has changes/);
  });
});
