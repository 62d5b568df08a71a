// env-config's secrets from a workflow's `secrets` context, and the redacted render that pull
// request checks use when secrets are not available (pull requests from forks).
import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { runAction } from "../../tools/runner/run-action.js";
import { createWorkspace, type Workspace } from "../../tools/runner/workspace.js";

const SECRET = "from-the-secrets-context-5d2a";
const OTHER = "unused-but-masked-93c1";

let ws: Workspace;
beforeEach(async () => {
  ws = await createWorkspace();
});
afterEach(async () => {
  await ws.remove();
});

describe("env-config secrets input and unset-secrets", () => {
  it("resolves ${secret:NAME} from the secrets input (toJSON(secrets)) and masks every value in it", async () => {
    const result = await runAction({
      action: "env-config",
      workspace: ws.dir,
      inputs: {
        environment: "production",
        secrets: JSON.stringify({ DB_PASSWORD: SECRET, OTHER_TOKEN: OTHER, github_token: "" }),
        "output-file": "out/config.json",
      },
    });
    expect(result.exitCode).toBe(0);
    expect(result.masked).toEqual(expect.arrayContaining([SECRET, OTHER]));
    expect(JSON.parse(await ws.read("out/config.json")).database.password).toBe(SECRET);
    expect(result.outputs.config).toContain('"password":"***"');
    // Only the ::add-mask:: commands (which the runner consumes, kept in `masked`) carry the value.
    expect(result.lines.join("\n")).not.toContain(SECRET);
  });

  it(
    "renders unset secrets as *** with unset-secrets: redact, " +
      "for diffs, and refuses to write files that way",
    async () => {
      const redacted = await runAction({
        action: "env-config",
        workspace: ws.dir,
        inputs: { environment: "production", "unset-secrets": "redact" },
      });
      expect(redacted.annotations).toEqual([]);
      expect(redacted.exitCode).toBe(0);
      expect(JSON.parse(redacted.outputs.config ?? "{}").database.password).toBe("***");
      expect(redacted.outputs.digest).toMatch(/^sha256:[0-9a-f]{64}$/);

      const writing = await runAction({
        action: "env-config",
        workspace: ws.dir,
        inputs: { environment: "production", "unset-secrets": "redact", "export-env": "true" },
      });
      expect(writing.exitCode).toBe(1);
      expect(writing.annotations[0]?.message).toMatch(
        /input "unset-secrets": redact renders \*\*\* .* cannot write output-file or export-env/,
      );
      expect(await ws.files()).not.toContain("out/config.json");
    },
  );

  it("still fails on an unset secret by default, and never echoes a malformed secrets input", async () => {
    const unset = await runAction({
      action: "env-config",
      workspace: ws.dir,
      inputs: { environment: "production" },
    });
    expect(unset.exitCode).toBe(1);
    expect(unset.annotations[0]?.message).toContain(
      "secret ${secret:DB_PASSWORD} is not set or empty",
    );
    const malformed = await runAction({
      action: "env-config",
      workspace: ws.dir,
      inputs: { environment: "production", secrets: `{"DB_PASSWORD": "${SECRET}"` },
    });
    expect(malformed.exitCode).toBe(1);
    expect(malformed.annotations[0]?.message).toBe(
      'input "secrets": expected a JSON object of secret names to values, such as ${{ toJSON(secrets) }}',
    );
    expect(malformed.stdout + malformed.stderr).not.toContain(SECRET);
  });
});
