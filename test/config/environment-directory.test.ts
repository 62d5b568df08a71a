// Reading environments/ from disk: files over the size limit and files that are not UTF-8 are
// refused before they are parsed, naming the file (and the line of the first bad byte).
import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  MAX_ENVIRONMENT_FILE_BYTES,
  openEnvironmentDirectory,
} from "../../src/runtime/environment-directory.js";
import { ConfigurationError } from "../../src/shared/errors.js";

let workspace: string;
beforeEach(async () => {
  workspace = await mkdtemp(join(tmpdir(), "shipgate-envdir-"));
  await mkdir(join(workspace, "environments"));
});
afterEach(async () => {
  await rm(workspace, { recursive: true, force: true });
});

const write = (name: string, content: string | Uint8Array) =>
  writeFile(join(workspace, "environments", name), content);

async function problemsOf(promise: Promise<unknown>): Promise<string[]> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof ConfigurationError)) throw error ?? new Error("expected a failure");
  return error.message.split("\n");
}

async function open() {
  return openEnvironmentDirectory(join(workspace, "environments"), workspace);
}

describe("environment file limits", () => {
  it("is 1 MiB", () => {
    expect(MAX_ENVIRONMENT_FILE_BYTES).toBe(1024 * 1024);
  });

  it("refuses a file over the limit before parsing it", async () => {
    // A comment, so the text itself parses quickly: only the size can refuse it.
    await write("staging.yml", `config: {}\n#${"x".repeat(MAX_ENVIRONMENT_FILE_BYTES)}\n`);
    const directory = await open();
    expect(await problemsOf(directory.sources("staging"))).toEqual([
      "environments/staging.yml: is 1048589 bytes, over the limit of 1048576 bytes (1 MiB) " +
        "for a file in the environments directory",
    ]);
  });

  it("applies the limit to base.yml and config.schema.json too", async () => {
    const large = `#${"x".repeat(MAX_ENVIRONMENT_FILE_BYTES)}\n`;
    await write("staging.yml", "config: {}\n");
    await write("base.yml", large);
    await write("config.schema.json", `{"type":"object"}${" ".repeat(MAX_ENVIRONMENT_FILE_BYTES)}`);
    const directory = await open();
    expect((await problemsOf(directory.sources("staging")))[0]).toMatch(
      /^environments\/base\.yml: is 1048578 bytes, over the limit/,
    );
    expect((await problemsOf(directory.readJson("config.schema.json")))[0]).toMatch(
      /^environments\/config\.schema\.json: is 1048593 bytes, over the limit/,
    );
  });

  it("reads a file of exactly the limit", async () => {
    const head = "config:\n  a: 1\n#";
    await write("staging.yml", `${head}${"x".repeat(MAX_ENVIRONMENT_FILE_BYTES - head.length)}`);
    const directory = await open();
    const { layers } = await directory.sources("staging");
    expect(layers[0]?.data).toEqual({ config: { a: 1 } });
  });

  it("refuses a FIFO or a directory in place of a file, instead of waiting or failing", async () => {
    execFileSync("mkfifo", [join(workspace, "environments", "staging.yml")]);
    await mkdir(join(workspace, "environments", "config.schema.json"));
    const directory = await open();
    expect(await problemsOf(directory.sources("staging"))).toEqual([
      "environments/staging.yml: is not a regular file",
    ]);
    expect(await problemsOf(directory.readJson("config.schema.json"))).toEqual([
      "environments/config.schema.json: is not a regular file",
    ]);
  });

  it("refuses a link to a device, which leads outside the workspace", async () => {
    await symlink("/dev/zero", join(workspace, "environments", "staging.yml"));
    const directory = await open();
    expect(await problemsOf(directory.sources("staging"))).toEqual([
      "environments/staging.yml: is a symbolic link to a file outside the workspace",
    ]);
  });
});

describe("symbolic links", () => {
  it("refuses a file that leads outside the workspace or into .git", async () => {
    const outside = await mkdtemp(join(tmpdir(), "shipgate-outside-"));
    try {
      await writeFile(join(outside, "secret.yml"), "config:\n  token: stolen\n");
      await mkdir(join(workspace, ".git"));
      await writeFile(join(workspace, ".git", "config.yml"), "config: {}\n");
      await symlink(join(outside, "secret.yml"), join(workspace, "environments", "staging.yml"));
      await symlink(
        join(workspace, ".git", "config.yml"),
        join(workspace, "environments", "qa.yml"),
      );
      const directory = await open();
      expect(await problemsOf(directory.sources("staging"))).toEqual([
        "environments/staging.yml: is a symbolic link to a file outside the workspace",
      ]);
      expect(await problemsOf(directory.sources("qa"))).toEqual([
        "environments/qa.yml: is a symbolic link to a file inside the workspace's .git directory",
      ]);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it("reads a file linked from elsewhere in the workspace", async () => {
    await mkdir(join(workspace, "shared"));
    await writeFile(join(workspace, "shared", "staging.yml"), "config:\n  a: 1\n");
    await symlink("../shared/staging.yml", join(workspace, "environments", "staging.yml"));
    const directory = await open();
    const { layers } = await directory.sources("staging");
    expect(layers[0]?.data).toEqual({ config: { a: 1 } });
  });
});

describe("UTF-8", () => {
  it("refuses invalid UTF-8 at the line of the first bad byte", async () => {
    const bytes = Buffer.concat([
      Buffer.from("config:\n  name: caf"),
      Buffer.from([0xe9]), // "é" in Latin-1: not UTF-8
      Buffer.from("\n  other: \xff\n", "latin1"),
    ]);
    await write("staging.yml", bytes);
    const directory = await open();
    expect(await problemsOf(directory.sources("staging"))).toEqual([
      "environments/staging.yml:2: is not valid UTF-8 (a byte on this line cannot be decoded); " +
        "save the file as UTF-8",
    ]);
  });

  it("refuses invalid UTF-8 in config.schema.json", async () => {
    await write("config.schema.json", Buffer.from([0x7b, 0x0a, 0xc3, 0x28, 0x7d]));
    const directory = await open();
    expect((await problemsOf(directory.readJson("config.schema.json")))[0]).toMatch(
      /^environments\/config\.schema\.json:2: is not valid UTF-8/,
    );
  });

  it("reads UTF-8 text, with or without a byte order mark", async () => {
    await write("staging.yml", "\ufeffconfig:\n  name: café ☕ 𝄞\n");
    const directory = await open();
    const { layers } = await directory.sources("staging");
    expect(layers[0]?.data).toEqual({ config: { name: "café ☕ 𝄞" } });
  });
});
