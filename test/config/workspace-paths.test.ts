// config-dir and output-file stay inside the workspace and out of its .git directory, symbolic
// links followed: anything else is refused, naming the input.
import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { mkdir, mkdtemp, realpath, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { workspacePath } from "../../src/runtime/files.js";
import { ConfigurationError } from "../../src/shared/errors.js";

let root: string;
let workspace: string;
let outside: string;
beforeEach(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), "shipgate-paths-")));
  workspace = join(root, "ws");
  outside = join(root, "outside");
  await mkdir(join(workspace, ".git", "hooks"), { recursive: true });
  await mkdir(join(workspace, "environments"), { recursive: true });
  await mkdir(outside);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function refusal(path: string, input = "output-file"): Promise<string> {
  const error = await workspacePath(workspace, path, input).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof ConfigurationError)) throw error ?? new Error(`${path} was accepted`);
  return error.message;
}

describe("workspacePath", () => {
  it.each([
    ["config/staging.json", "config/staging.json"],
    ["environments", "environments"],
    ["new/deeper/file.env", "new/deeper/file.env"],
    ["./a/../b.json", "b.json"],
    [".github/config.json", ".github/config.json"],
    [".gitignore.d/x", ".gitignore.d/x"],
  ])("accepts %s", async (path, inside) => {
    expect(await workspacePath(workspace, path, "output-file")).toBe(join(workspace, inside));
  });

  it("accepts an absolute path inside the workspace", async () => {
    const path = join(workspace, "out", "c.json");
    expect(await workspacePath(workspace, path, "output-file")).toBe(path);
  });

  it.each(["../x.json", "a/../../x.json", "/etc/passwd", "..", "/"])(
    "refuses %s, outside the workspace",
    async (path) => {
      expect(await refusal(path)).toBe(
        `input "output-file": ${path} is outside the workspace; give a path inside it`,
      );
    },
  );

  it.each([".git", ".git/hooks/pre-commit", "./.git/config", "sub/../.git/hooks", ".GIT/config"])(
    "refuses %s, inside the .git directory",
    async (path) => {
      expect(await refusal(path, "config-dir")).toBe(
        `input "config-dir": ${path} is inside the workspace's .git directory`,
      );
    },
  );

  it("follows symbolic links out of the workspace and into .git", async () => {
    await symlink(outside, join(workspace, "escape"));
    await symlink(join(workspace, ".git"), join(workspace, "hooks-link"));
    await symlink(join(outside, "missing"), join(workspace, "dangling"));
    expect(await refusal("escape/config.json")).toBe(
      `input "output-file": escape/config.json is outside the workspace ` +
        `(a symbolic link leads to ${join(outside, "config.json")}); give a path inside it`,
    );
    expect(await refusal("hooks-link/hooks/pre-commit")).toBe(
      `input "output-file": hooks-link/hooks/pre-commit is inside the workspace's .git directory ` +
        `(a symbolic link leads to ${join(workspace, ".git", "hooks", "pre-commit")})`,
    );
    expect(await refusal("dangling/config.json")).toBe(
      'input "output-file": dangling/config.json goes through a symbolic link ' +
        "to a path that does not exist",
    );
  });

  it("accepts a symbolic link that stays inside the workspace", async () => {
    await symlink(join(workspace, "environments"), join(workspace, "envs"));
    expect(await workspacePath(workspace, "envs", "config-dir")).toBe(join(workspace, "envs"));
  });

  it("follows a workspace that is itself reached through a symbolic link", async () => {
    await symlink(workspace, join(root, "ws-link"));
    const linked = join(root, "ws-link");
    expect(await workspacePath(linked, "out/c.json", "output-file")).toBe(
      join(linked, "out/c.json"),
    );
    await expect(workspacePath(linked, "../outside/x", "output-file")).rejects.toThrow(
      "is outside the workspace",
    );
  });
});
