// The dotenv format is sourced by shells: every value must come back as written from bash and
// from sh, and no value may run a command.
import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serializeConfig } from "../../src/config/formats.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "shipgate-dotenv-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Values that run `touch pwned` in the current directory if they are not quoted properly. */
const HOSTILE: Record<string, string> = {
  backticks: "`touch pwned`",
  substitution: "$(touch pwned)",
  nested: '"$(touch pwned)"',
  closingDouble: '"; touch pwned; "',
  closingSingle: "'; touch pwned; '",
  escapedBacktick: "\\`touch pwned\\`",
  newlineThenCommand: "line\ntouch pwned",
  trailingBackslash: "ends with \\",
  backslashNewline: "a\\\ntouch pwned",
  parameter: "${HOME} $HOME ${IFS} $0 $$",
  arithmetic: "$((1+1))",
  history: "!! !$ ^a^b",
  carriageReturn: "a\r\nb\r",
  tab: "a\tb",
  unicode: "café ☕ 𝄞 \u2028",
  empty: "",
  glob: "* ? [a-z] ~",
  semicolon: "a; touch pwned",
};

function sourceAndRead(shell: string, file: string): Record<string, string> {
  const output = execFileSync(
    shell,
    [
      "-c",
      'set -a; . "$ENV_FILE"; exec "$NODE" -e "process.stdout.write(JSON.stringify(process.env))"',
    ],
    { cwd: dir, env: { ENV_FILE: file, NODE: process.execPath, PATH: process.env.PATH } },
  );
  return JSON.parse(output.toString("utf8")) as Record<string, string>;
}

describe("dotenv values sourced by a shell", () => {
  it.each(["bash", "sh"])("come back as written from %s, and run nothing", async (shell) => {
    const config = { hostile: HOSTILE, number: 5, flag: true, list: ["$(touch pwned)", "`x`"] };
    const file = join(dir, "config.env");
    await writeFile(file, serializeConfig(config, "dotenv"));
    const env = sourceAndRead(shell, file);
    expect(existsSync(join(dir, "pwned"))).toBe(false);
    for (const [key, value] of Object.entries(HOSTILE)) {
      const name = `HOSTILE__${key.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase()}`;
      expect({ name, value: env[name] }).toEqual({ name, value });
    }
    expect(env.NUMBER).toBe("5");
    expect(env.FLAG).toBe("true");
    expect(env.LIST).toBe('["$(touch pwned)","`x`"]');
  });

  it('writes one NAME="value" per leaf, escaping \\, ", $ and backticks', () => {
    expect(serializeConfig({ a: 'say "hi" to $HOME and `id` \\o/', b: true }, "dotenv")).toBe(
      'A="say \\"hi\\" to \\$HOME and \\`id\\` \\\\o/"\nB="true"\n',
    );
  });

  it("keeps line breaks as they are, inside the quotes", () => {
    expect(serializeConfig({ pem: "-----BEGIN-----\nabc\n-----END-----\n" }, "dotenv")).toBe(
      'PEM="-----BEGIN-----\nabc\n-----END-----\n"\n',
    );
  });
});
