// The shipgate command, run as a user runs it (`node bin/shipgate.mjs ...` in a workspace of its
// own), against the bundles in actions/<name>/dist; and docs/try-it.md, every command of it run in
// order. Needs the bundles built from this commit (deploy's dry-run input).
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs, UsageError } from "../../tools/cli/args.js";
import { actionNames, readAction } from "../../tools/cli/catalog.js";
import { RunnerLog } from "../../tools/cli/terminal.js";
import { startGitHubStandIn, type GitHubStandIn } from "../../tools/github-standin/index.js";
import { examplePayload, ROOT } from "../../tools/runner/run-action.js";

const BIN = join(ROOT, "bin", "shipgate.mjs");

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The caller's environment without what would make a run depend on where the test runs. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !/^(GITHUB_|ACTIONS_|RUNNER_|INPUT_|STATE_|NODE_OPTIONS$|SHIPGATE_)/.test(name),
    ),
  );
}

function run(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((done) => {
    execFile(
      file,
      args,
      { cwd, env: { ...cleanEnv(), ...env }, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

const shipgate = (args: string[], cwd: string, env?: NodeJS.ProcessEnv) =>
  run(process.execPath, [BIN, ...args], cwd, env);

/** The value of one output as the CLI prints it (`  name: value`). */
function output(stdout: string, name: string): string | undefined {
  const outputs = stdout.slice(stdout.lastIndexOf("\nOutputs:"));
  return new RegExp(`^  ${name}: (.*)$`, "m").exec(outputs)?.[1];
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

const temporaryDirs: string[] = [];
async function workspace(files: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "shipgate-cli-"));
  temporaryDirs.push(dir);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}
afterAll(async () => {
  for (const dir of temporaryDirs) await rm(dir, { recursive: true, force: true });
});

describe("reading the command line", () => {
  it("takes inputs as --name value, --name=value, or a bare flag for true; options apart", () => {
    const request = parseArgs([
      "deploy",
      "--environment",
      "staging",
      "--version=1.0.0",
      "--force",
      "--env",
      "A=1=2",
      "--dry-run",
      "--workspace",
      "svc",
    ]);
    expect(request).toEqual({
      action: "deploy",
      help: false,
      flags: { environment: "staging", version: "1.0.0", force: "true", "dry-run": "true" },
      env: { A: "1=2" },
      github: "stand-in",
      workspace: "svc",
    });
    expect(() => parseArgs(["deploy", "extra"])).toThrow(UsageError);
    expect(() => parseArgs(["deploy", "--env", "NOVALUE"])).toThrow(/expected NAME=value/);
  });

  it("finds every action, none of whose inputs is named like an option of the CLI", () => {
    expect(actionNames()).toEqual(
      expect.arrayContaining(["deploy", "env-config", "health-verify", "canary-gate"]),
    );
    for (const name of actionNames()) expect(readAction(name)?.inputs.length).toBeGreaterThan(0);
    expect(readAction("../deploy")).toBeUndefined();
  });
});

describe("the log as the runner shows it", () => {
  const render = (lines: string[], options = { debug: false, color: false }) => {
    const shown: string[] = [];
    const log = new RunnerLog((line) => shown.push(line), options);
    lines.forEach((line) => log.line(line));
    return shown;
  };

  it("obeys workflow commands: masks, groups, debug lines, stop-commands", () => {
    expect(
      render([
        "::add-mask::hunter2",
        "the password is hunter2",
        "::group::deploy hook: ./deploy.sh",
        "inside",
        "::endgroup::",
        "::debug::only with ACTIONS_STEP_DEBUG",
        "::stop-commands::tok",
        "::error::shown as written",
        "::tok::",
        "::add-mask::multi%0Aline",
        "multi",
      ]),
    ).toEqual([
      "the password is ***",
      "▾ deploy hook: ./deploy.sh",
      "  inside",
      "::error::shown as written",
      "multi",
    ]);
    expect(render(["::debug::a%0Ab"], { debug: true, color: false })).toEqual(["Debug: a", "b"]);
  });

  it("shows annotations with their place and title, once", () => {
    expect(
      render([
        "::error file=environments/staging.yml,line=4,col=3,title=deploy%3A invalid::bad%0Akey",
        "::warning title=notify::webhook down",
        "::error file=environments/x.yml,line=2::environments/x.yml:2: already placed",
      ]),
    ).toEqual([
      "Error: environments/staging.yml:4:3: bad",
      "key (deploy: invalid)",
      "Warning: webhook down (notify)",
      "Error: environments/x.yml:2: already placed",
    ]);
  });
});

describe("shipgate --help", () => {
  it("lists the actions, and an action's inputs with their descriptions from action.yml", async () => {
    const all = await shipgate(["--help"], tmpdir());
    expect(all.code).toBe(0);
    for (const name of actionNames()) expect(all.stdout).toMatch(new RegExp(`^  ${name} `, "m"));
    const deploy = await shipgate(["deploy", "--help"], tmpdir());
    expect(deploy.code).toBe(0);
    expect(deploy.stdout).toContain("  --environment  (required)\n      Environment to deploy to");
    expect(deploy.stdout).toMatch(/ {2}--dry-run {2}\(default: false\)\n {6}true: read and check/);
    expect(deploy.stdout).toContain("Outputs: deployment-id, result, version");
    const bare = await shipgate([], tmpdir());
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain("usage: shipgate ACTION");
  });
});

describe("mistakes are named before anything starts", () => {
  it("refuses an unknown action or input, and a malformed --env, with exit code 2", async () => {
    const dir = await workspace();
    const action = await shipgate(["deploi"], dir);
    expect(action.code).toBe(2);
    expect(action.stderr).toMatch(/no action "deploi"; the actions: .*deploy/);
    const input = await shipgate(["deploy", "--environment", "qa", "--verison", "1.0.0"], dir);
    expect(input.code).toBe(2);
    expect(input.stderr).toMatch(
      /actions\/deploy has no input --verison; its inputs: environment, version/,
    );
    const env = await shipgate(["deploy", "--env", "TOKEN"], dir);
    expect(env.stderr).toContain('--env "TOKEN": expected NAME=value');
    // No stand-in was started, so no store was written.
    expect(await readdir(dir)).toEqual([]);
  });

  it("refuses a store that is not one, naming the file", async () => {
    const dir = await workspace({ ".shipgate-local/github.json": '{"format":"something else"}' });
    const result = await shipgate(["deploy", "--environment", "qa", "--version", "1.0.0"], dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /the store .shipgate-local\/github.json is not a shipgate.local-github\/v1 store: format/,
    );
  });
});

describe("running an action", () => {
  it("takes inputs from a file under the flags, masks secrets, and keeps the summary", async () => {
    const dir = await workspace({
      "environments/staging.yml": "config:\n  apiKey: ${secret:API_KEY}\n  level: info\n",
      "environments/production.yml": "config:\n  level: warn\n",
      "inputs.yml": "environment: production\nformat: dotenv\n",
    });
    const result = await shipgate(
      [
        "env-config",
        "--inputs",
        "inputs.yml",
        "--environment",
        "staging",
        "--env",
        "API_KEY=s3cr3t-Value",
      ],
      dir,
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("    format: dotenv\n    export-env: false");
    expect(result.stdout).toContain("    environment: staging\n");
    // The flag chose staging over the file's production; the secret is masked wherever it shows.
    expect(output(result.stdout, "config")).toBe('{"apiKey":"***","level":"info"}');
    expect(result.stdout).not.toContain("s3cr3t-Value");
    expect(result.stdout).not.toContain("::add-mask::");
    const summaryPath = /^Job summary: (.*)$/m.exec(result.stdout)?.[1] ?? "";
    expect(summaryPath).toMatch(/^\.shipgate-local\/summaries\/env-config-.*\.md$/);
    expect(await readFile(join(dir, summaryPath), "utf8")).toContain("staging");
  });

  it("shows a configuration error as a readable annotation and exits as the step did", async () => {
    const dir = await workspace({ "environments/broken.yml": "config:\n  level: [unclosed\n" });
    const result = await shipgate(["env-config", "--environment", "broken"], dir);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /^Error: environments\/broken.yml:3: YAML syntax error: .* \(env-config: invalid configuration\)$/m,
    );
    expect(result.stdout).toContain("shipgate env-config: failed (exit 1)");
  });

  it("keeps deployments in --store between runs: the next deploy starts from the last", async () => {
    const dir = await workspace();
    const deploy = (version: string, ...more: string[]) =>
      shipgate(
        [
          "deploy",
          "--environment",
          "qa",
          "--version",
          version,
          "--deploy-command",
          "echo deploying {{ version }}",
          "--store",
          "records/",
          ...more,
        ],
        dir,
      );
    const first = await deploy("1.0.0");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("  deploying 1.0.0");
    expect(first.stdout).toContain("Saved 1 deployment to records/local-github.json");
    const store = JSON.parse(readFileSync(join(dir, "records", "local-github.json"), "utf8"));
    expect(store).toMatchObject({
      format: "shipgate.local-github/v1",
      repositories: [
        {
          repository: `local/${dir.split("/").pop()}`,
          deployments: [
            {
              environment: "qa",
              payload: { version: "1.0.0", strategy: "rolling", slot: "blue" },
              statuses: [{ state: "in_progress" }, { state: "success" }],
            },
          ],
        },
      ],
    });
    const plan = await deploy("1.1.0", "--dry-run", "true");
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain("Stable 1.0.0 in slot blue; the new version goes to slot blue.");
    expect(plan.stdout).toContain(
      "If a step fails: echo deploying '1.0.0' (the deploy hook redeploys 1.0.0)",
    );
    expect(JSON.parse(output(plan.stdout, "report") ?? "")).toMatchObject({
      dryRun: true,
      previousVersion: "1.0.0",
      steps: [{ step: "deploy", command: "echo deploying '1.1.0'" }],
    });
    // The dry run ran no hook and recorded nothing: the store is as the first deploy left it.
    expect(plan.stdout).not.toContain("  deploying 1.1.0");
    expect(plan.stdout).not.toContain("Saved");
    expect(JSON.parse(readFileSync(join(dir, "records", "local-github.json"), "utf8"))).toEqual(
      store,
    );
  });
});

describe("where the run happens, and what triggered it", () => {
  it("runs in --workspace for the --event given, keeping records in the --store file", async () => {
    const elsewhere = await workspace();
    const service = await workspace();
    const result = await shipgate(
      [
        "deploy",
        "--workspace",
        service,
        "--event",
        "pull_request.opened",
        "--store",
        "records.json",
        "--environment",
        "preview",
        "--version",
        "0.1.0",
        "--deploy-command",
        "pwd",
      ],
      elsewhere,
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`\n  ${service}\n`);
    const store = JSON.parse(readFileSync(join(elsewhere, "records.json"), "utf8"));
    // On pull_request events deploy records the pull request's head commit.
    const head = (
      examplePayload("pull_request", "opened") as { pull_request: { head: { sha: string } } }
    ).pull_request.head.sha;
    expect(store.repositories[0].deployments[0]).toMatchObject({
      ref: head,
      environment: "preview",
    });
    expect(await readdir(service)).toEqual([".shipgate-local"]);
  });
});

describe("--github URL: another GitHub API, with the caller's token", () => {
  let github: GitHubStandIn;
  beforeAll(async () => {
    github = await startGitHubStandIn({ repositories: ["octo/app"] });
  });
  afterAll(() => github.stop());

  it("records there, for the repository and commit given, and keeps no local store", async () => {
    const dir = await workspace();
    const sha = "a".repeat(40);
    const args = [
      "deploy",
      "--environment",
      "qa",
      "--version",
      "2.0.0",
      "--deploy-command",
      "true",
    ];
    const env = ["--env", "GITHUB_REPOSITORY=octo/app", "--env", `GITHUB_SHA=${sha}`];
    const refused = await shipgate([...args, "--github", github.url, ...env], dir);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("set GITHUB_TOKEN to a token for the repository");
    const result = await shipgate([...args, "--github", github.url, ...env], dir, {
      GITHUB_TOKEN: "ghp_local-test",
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`; GitHub at ${github.url}`);
    const response = await fetch(`${github.url}/repos/octo/app/deployments`, {
      headers: { authorization: "token x" },
    });
    const [deployment] = (await response.json()) as { sha: string; payload: { version: string } }[];
    expect(deployment).toMatchObject({ sha, payload: { version: "2.0.0" } });
    expect(github.requestViolations).toEqual([]);
    expect(existsSync(join(dir, ".shipgate-local", "github.json"))).toBe(false);
  });
});

/** A fenced block of the doc: its language, the file it is saved as (`file=`), its text. */
interface DocBlock {
  lang: string;
  file?: string;
  text: string;
}

function docBlocks(markdown: string): DocBlock[] {
  return [...markdown.matchAll(/^```(\w+)(?: file=(\S+))?\n([\s\S]*?)^```$/gm)].map((match) => ({
    lang: match[1] as string,
    ...(match[2] ? { file: match[2] } : {}),
    text: match[3] as string,
  }));
}

/** Steps a reader takes before this test can run: it runs inside an installed clone already. */
const SETUP = [/^git clone /, /^cd shipgate$/, /^npm install$/];

interface DocCommand {
  command: string;
  result: Run;
  /** The sample output the doc shows after it, if any. */
  sample?: string;
  /** Files of the workspace after the command. */
  files: string[];
}

describe("docs/try-it.md, every command in order", () => {
  const commands: DocCommand[] = [];
  let service: string;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    // The doc's port, made one that is free here; everything else as written.
    const doc = readFileSync(join(ROOT, "docs", "try-it.md"), "utf8").replace(
      /8080/g,
      String(port),
    );
    // A stand-in for the clone: lab/ where the doc expects it (beside my-service).
    const clone = await workspace();
    await symlink(join(ROOT, "lab"), join(clone, "lab"));
    let cwd = clone;
    for (const block of docBlocks(doc)) {
      if (block.file) {
        await mkdir(dirname(join(cwd, block.file)), { recursive: true });
        await writeFile(join(cwd, block.file), block.text);
      } else if (block.lang === "text") {
        const last = commands.at(-1);
        if (last) last.sample = block.text;
      } else if (block.lang === "sh") {
        for (const line of block.text.split("\n").map((l) => l.trim())) {
          if (line === "" || line.startsWith("#") || SETUP.some((setup) => setup.test(line)))
            continue;
          const cd = /^cd (\S+)$/.exec(line);
          if (cd) {
            cwd = resolve(cwd, cd[1] as string);
            continue;
          }
          const script = line.replace(/^npx shipgate /, `"${process.execPath}" "${BIN}" `);
          const result = await run("bash", ["-c", script], cwd);
          commands.push({ command: line, result, files: await readdir(cwd) });
        }
      }
    }
    service = cwd;
  }, 300_000);

  afterAll(async () => {
    // The doc ends by stopping the service; should a step have failed before, stop it here.
    const pid = Number(await readFile(join(service, "service.pid"), "utf8").catch(() => ""));
    if (pid > 0) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Already stopped by the doc's last command.
      }
    }
  });

  const find = (start: string) => {
    const found = commands.find((command) => command.command.startsWith(start));
    if (!found) throw new Error(`the doc has no command starting ${start}`);
    return found;
  };

  it("runs the commands the doc promises, each succeeding", () => {
    expect(commands.map((command) => command.command)).toEqual([
      "mkdir -p my-service/environments",
      "chmod +x deploy.sh",
      "npx shipgate env-config --environment staging",
      "npx shipgate deploy --environment staging --version 1.0.0 --dry-run true",
      "npx shipgate deploy --environment staging --version 1.0.0",
      "npx shipgate deploy --environment staging --version 1.1.0",
      "npx shipgate health-verify --environment staging --expect-version 1.1.0 " +
        `--env SERVICE_URL=http://127.0.0.1:${port}`,
      'kill "$(cat service.pid)"',
    ]);
    for (const { command, result } of commands) {
      // The stand-in took every request as GitHub would.
      expect(result.stdout).not.toContain("GitHub would not take");
      expect({ command, code: result.code, stderr: result.stderr }).toEqual({
        command,
        code: 0,
        stderr: "",
      });
    }
  });

  it("prints what the doc shows (its lines other than ...)", () => {
    for (const { command, result, sample } of commands) {
      if (sample === undefined) continue;
      const printed = result.stdout.split("\n").map((line) => line.trimEnd());
      const shown = sample.split("\n").map((line) => line.trimEnd());
      const missing = shown.filter(
        (line) => line !== "..." && line !== "" && !printed.includes(line),
      );
      expect({ command, missing }).toEqual({ command, missing: [] });
    }
  });

  it("plans without deploying, deploys, then deploys again from the first as the previous version", async () => {
    const plan = find("npx shipgate deploy --environment staging --version 1.0.0 --dry-run");
    expect(plan.files).not.toContain("service.pid");
    expect(plan.files).toContain(".shipgate-local");
    expect(JSON.parse(output(plan.result.stdout, "report") ?? "")).toMatchObject({
      dryRun: true,
      strategy: "rolling",
      steps: [{ step: "deploy", command: `./deploy.sh '1.0.0' ${port}` }, { step: "health" }],
    });
    const second = find("npx shipgate deploy --environment staging --version 1.1.0");
    expect(output(second.result.stdout, "previous-version")).toBe("1.0.0");
    const store = JSON.parse(
      await readFile(join(service, ".shipgate-local", "github.json"), "utf8"),
    );
    const versions = store.repositories[0].deployments.map(
      (deployment: { payload: { version: string } }) => deployment.payload.version,
    );
    expect(versions).toEqual(["1.0.0", "1.1.0"]);
  });

  it("verifies the version serving, then stops it", () => {
    const verify = find("npx shipgate health-verify");
    expect(output(verify.result.stdout, "healthy")).toBe("true");
    expect(find("kill").files).toContain("service.log");
  });
});
