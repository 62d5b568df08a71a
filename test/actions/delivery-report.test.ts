// delivery-report's bundle against the GitHub API stand-in holding a known history, and its HTML
// dashboard opened in headless Chromium (Debian): it renders, its charts are there, the console
// stays clean and the page makes no request. UPDATE_SCREENSHOTS=1 refreshes docs/dora-dashboard.png.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { copyFile, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { startGitHubStandIn, type GitHubStandIn } from "../../tools/github-standin/index.js";
import { seedHistory } from "../fixtures/dora/history.js";
import { startPushgateway } from "../support/receivers.js";
import { ROOT, runAction, type ActionResult } from "../../tools/runner/run-action.js";

const REPOSITORY = "octo-org/demo-api";
let github: GitHubStandIn;
let workspace: string;
let result: ActionResult;

beforeAll(async () => {
  github = await startGitHubStandIn({ repositories: [REPOSITORY] });
  workspace = await mkdtemp(join(tmpdir(), "shipgate-dora-"));
  // The window ends when the action runs: a minute from now leaves room for the run itself.
  const end = Math.floor(Date.now() / 1000) * 1000 + 60_000;
  const ids = seedHistory(github, REPOSITORY, end);
  // A recovery drill on production (task deploy:drill) that failed and was rolled back: counted,
  // it would make 8 deployments and 4 failures; the known answers below hold only without it.
  const drillAt = new Date(end - 3 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, "Z");
  const drillSha = github.seedCommit(REPOSITORY, { message: "drill build", date: drillAt });
  const drill = github.seedDeployment(REPOSITORY, {
    environment: "production",
    sha: drillSha,
    task: "deploy:drill",
    createdAt: drillAt,
    payload: {
      version: "9.9.9",
      strategy: "canary",
      drill: { kind: "rollback", rto_seconds: 300, recovery_seconds: 95, passed: true },
    },
    statuses: [{ state: "failure", at: drillAt }],
  });
  github.seedDeployment(REPOSITORY, {
    environment: "production",
    sha: drillSha,
    createdAt: drillAt,
    payload: { version: "1.4.0", strategy: "rollback", rollback_of: drill },
    statuses: [{ state: "success", at: drillAt }],
  });
  expect(ids.D7).toBeDefined();
  result = await runAction({
    action: "delivery-report",
    workspace,
    repository: REPOSITORY,
    apiUrl: github.url,
    inputs: { window: "28d", "output-file": "site/dora.html", token: "test-token" },
  });
}, 60_000);

afterAll(async () => {
  await github.stop();
  await rm(workspace, { recursive: true, force: true });
});

interface Report {
  environments: {
    environment: string;
    deployments: number;
    successful: number;
    failed: number;
    deploymentsPerDay: number;
    leadTimeHours: number;
    changeFailureRate: number;
    timeToRestoreHours: number;
  }[];
}

describe("delivery-report", () => {
  it("reports the known answers per environment as JSON and a summary with charts", () => {
    expect(result.exitCode).toBe(0);
    const report = JSON.parse(result.outputs.report ?? "{}") as Report;
    const production = report.environments.find((metrics) => metrics.environment === "production");
    expect(report.environments.map((metrics) => metrics.environment)).toEqual([
      "production",
      "staging",
    ]);
    expect(production).toMatchObject({ deployments: 7, successful: 4, failed: 3 });
    expect(production?.deploymentsPerDay).toBeCloseTo(4 / 28, 10);
    expect(production?.leadTimeHours).toBeCloseTo(11.75, 10);
    expect(production?.changeFailureRate).toBeCloseTo(3 / 7, 10);
    expect(production?.timeToRestoreHours).toBeCloseTo(5 / 60, 10);
    expect(result.summary).toContain(
      "| production | 1 per week (4 of 7) | 11.8 h (8 commits) | 42.9% (3 of 7) | 5 min |",
    );
    expect(result.summary.match(/```mermaid\nxychart-beta/g)).toHaveLength(2);
    // The drill is reported apart, never in the figures above.
    expect(result.summary).toContain("| production | rollback | 1 min 35 s / 5 min | — | passed |");
    expect(result.outputs["output-file"]).toBe(join(workspace, "site", "dora.html"));
    expect(result.masked).toContain("test-token");
    expect(github.requestViolations).toEqual([]);
    expect(github.unimplementedCalls).toEqual([]);
  });

  it("rejects a window it cannot read, naming the input", async () => {
    const bad = await runAction({
      action: "delivery-report",
      workspace,
      repository: REPOSITORY,
      apiUrl: github.url,
      inputs: { window: "a month", token: "t" },
    });
    expect(bad.exitCode).toBe(1);
    expect(bad.annotations[0]?.message).toBe(
      'input "window": expected a length such as 30d, 12w or 48h (got "a month")',
    );
  });
});

describe("the DORA figures pushed to a real Pushgateway", () => {
  it("pushes each environment's figures under job shipgate_dora, grouped by repository", async () => {
    const dir = await mkdtemp(join(tmpdir(), "shipgate-dora-push-"));
    const pushgateway = await startPushgateway(dir);
    try {
      const pushed = await runAction({
        action: "delivery-report",
        workspace,
        repository: REPOSITORY,
        apiUrl: github.url,
        inputs: { window: "28d", token: "test-token", "pushgateway-url": pushgateway.url },
      });
      expect(pushed.exitCode).toBe(0);
      expect(pushed.stdout).toContain(
        "notify: pushgateway (pushgateway): DORA figures delivered (HTTP 200",
      );
      const report = JSON.parse(pushed.outputs.report ?? "") as Report;
      const metrics = await (await fetch(`${pushgateway.url}/metrics`)).text();
      for (const { environment, deployments, changeFailureRate } of report.environments) {
        const labels = `environment="${environment}",instance="",job="shipgate_dora",repository="${REPOSITORY}"`;
        expect(metrics).toContain(`shipgate_dora_deployments{${labels}} ${deployments}`);
        expect(metrics).toContain(
          `shipgate_dora_change_failure_rate{${labels}} ${changeFailureRate}`,
        );
      }
    } finally {
      await pushgateway.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it("a Pushgateway that is down is a warning, never the step's result", async () => {
    const down = await startPushgateway(await mkdtemp(join(tmpdir(), "shipgate-dora-down-")));
    await down.stop();
    const pushed = await runAction({
      action: "delivery-report",
      workspace,
      repository: REPOSITORY,
      apiUrl: github.url,
      inputs: { window: "28d", token: "test-token", "pushgateway-url": down.url },
    });
    expect(pushed.exitCode).toBe(0);
    expect(pushed.annotations.map((annotation) => annotation.message).join("\n")).toMatch(
      /notify: pushgateway \(pushgateway\): DORA figures NOT delivered/,
    );
    expect(pushed.outputs["output-file"]).toBeDefined();
  }, 60_000);
});

// --- Headless Chromium -----------------------------------------------------------------------

/**
 * Requests Chromium makes for itself whatever the page is (component updates, sign-in, network
 * time), even with background networking off; everything else through the proxy came from the page.
 */
const BROWSER_OWN_HOSTS = new Set([
  "update.googleapis.com",
  "accounts.google.com",
  "clients2.google.com",
]);

interface Proxy {
  /** Hosts (and URLs, for plain http) the browser asked the proxy for, its own hosts left out. */
  requests: string[];
  port: number;
  stop(): Promise<void>;
}

/** A proxy that answers nothing and records everything: every request Chromium makes goes here. */
async function startRecordingProxy(): Promise<Proxy> {
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    const host = new URL(request.url ?? "", "http://unknown").hostname;
    if (!BROWSER_OWN_HOSTS.has(host)) requests.push(`${request.method} ${request.url}`);
    response.writeHead(502).end();
  });
  server.on("connect", (request, socket) => {
    const host = (request.url ?? "").split(":")[0] ?? "";
    if (!BROWSER_OWN_HOSTS.has(host)) requests.push(`CONNECT ${request.url}`);
    socket.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    requests,
    port: (server.address() as AddressInfo).port,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface Rendered {
  dom: string;
  /** Console messages Chromium logged (`INFO:CONSOLE` lines of --enable-logging). */
  console: string[];
  requests: string[];
}

function chromium(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) =>
    execFile(
      "chromium",
      args,
      { timeout: 60_000, maxBuffer: 20 * 1024 * 1024 },
      (error, stdout, stderr) =>
        error ? reject(Object.assign(error, { stderr })) : resolve({ stdout, stderr }),
    ),
  );
}

/** Loads `file` once for its DOM and once for a screenshot, every request routed to the proxy. */
async function render(file: string, screenshot: string): Promise<Rendered> {
  const proxy = await startRecordingProxy();
  const profile = await mkdtemp(join(tmpdir(), "shipgate-chromium-"));
  try {
    const common = [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      `--user-data-dir=${profile}`,
      // Every request, loopback included, goes to the recording proxy.
      `--proxy-server=http://127.0.0.1:${proxy.port}`,
      "--proxy-bypass-list=<-loopback>",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-extensions",
      "--hide-scrollbars",
      "--enable-logging=stderr",
      "--v=0",
    ];
    const url = pathToFileURL(file).href;
    const dom = await chromium([...common, "--virtual-time-budget=2000", "--dump-dom", url]);
    const shot = await chromium([
      ...common,
      "--window-size=1280,1000",
      `--screenshot=${screenshot}`,
      url,
    ]);
    const console = [dom.stderr, shot.stderr].flatMap((text) =>
      text.split("\n").filter((line) => line.includes(":CONSOLE")),
    );
    return { dom: dom.stdout, console, requests: [...proxy.requests] };
  } finally {
    await proxy.stop();
    await rm(profile, { recursive: true, force: true });
  }
}

describe("the HTML dashboard in headless Chromium", () => {
  it("the checks see a console error and a request when a page makes them", async () => {
    const file = join(workspace, "control.html");
    await writeFile(
      file,
      "<!doctype html><html><body><h1>control</h1>" +
        '<script>console.error("control-error")</script><img src="https://cdn.example.test/chart.png"></body></html>',
    );
    const rendered = await render(file, join(workspace, "control.png"));
    expect(rendered.console.some((line) => line.includes("control-error"))).toBe(true);
    expect(rendered.requests).toContain("CONNECT cdn.example.test:443");
  }, 120_000);

  it("renders with its charts, no console message and no request, and makes a screenshot", async () => {
    const file = result.outputs["output-file"] as string;
    const screenshot = join(workspace, "dora-dashboard.png");
    const rendered = await render(file, screenshot);
    expect(rendered.console).toEqual([]);
    expect(rendered.requests).toEqual([]);
    expect(rendered.dom).toContain("<h1>Delivery report: octo-org/demo-api</h1>");
    expect(rendered.dom.match(/<svg [^>]*class="chart"/g)).toHaveLength(4);
    // production: 7 deployments in 6 weekly bars' segments; lead time bars for its 4 good deployments.
    expect(rendered.dom.match(/<rect class="bar"/g)?.length).toBeGreaterThanOrEqual(10);
    expect(
      (await readFile(file, "utf8")).match(/<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/),
    ).toBeNull();
    const png = await readFile(screenshot);
    expect(png.subarray(1, 4).toString()).toBe("PNG");
    expect(png.readUInt32BE(16)).toBe(1280);
    expect((await stat(screenshot)).size).toBeGreaterThan(20_000);
    // The README's picture is refreshed on request only, so a test run leaves the checkout clean.
    if (process.env.UPDATE_SCREENSHOTS === "1")
      await copyFile(screenshot, join(ROOT, "docs", "dora-dashboard.png"));
  }, 120_000);
});
