// Text from outside never commands the runner: a metrics endpoint whose error body holds workflow
// commands on lines of their own (::add-mask::, ::error::, ::stop-commands::) is logged, shown as
// text, and obeyed by nothing, through the real canary-gate bundle.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { neutralizeCommands } from "../../src/shared/log.js";
import { runAction } from "../../tools/runner/run-action.js";
import { createWorkspace, type Workspace } from "../../tools/runner/workspace.js";
import { startHttpServer, type FixtureServer } from "../support/http-fixtures.js";

const HOSTILE = "upstream broke\n::add-mask::leaked\n::error::injected\n::stop-commands::x";

let endpoint: FixtureServer;
let ws: Workspace;

beforeAll(async () => {
  endpoint = await startHttpServer({
    "/api/v1/query": (_request, response) => {
      response.writeHead(500, { "content-type": "text/plain" }).end(HOSTILE);
    },
  });
  ws = await createWorkspace({ withExamples: false });
});

afterAll(async () => {
  await endpoint.close();
  await ws.remove();
});

describe("lines from outside", () => {
  it("start with a zero-width space where they would start a workflow command", () => {
    expect(neutralizeCommands("a\n::error::x\n  ::warning::y\nb::c")).toBe(
      "a\n\u200b::error::x\n  \u200b::warning::y\nb::c",
    );
  });

  it("are never obeyed when a metrics endpoint sends them", async () => {
    const result = await runAction({
      action: "canary-gate",
      workspace: ws.dir,
      inputs: {
        address: endpoint.url,
        canary: "1.1.0",
        count: "1",
        interval: "1s",
        metrics: "- name: errors\n  query: up\n  condition: result < 1\n",
        "fail-on": "none",
      },
    });
    expect(result.outputs.verdict).toBe("inconclusive");
    const raw = `${result.stdout}\n${result.stderr}`.split("\n");
    expect(raw.filter((line) => /^\s*::(add-mask|error|stop-commands)::/.test(line))).toEqual([]);
    expect(result.masked).not.toContain("leaked");
    expect(result.annotations.map((annotation) => annotation.message)).not.toContain("injected");
    // The text itself is still there to read.
    expect(result.stdout).toContain("\u200b::error::injected");
  });
});
