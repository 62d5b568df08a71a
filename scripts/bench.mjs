// Benchmarks, printed as figures with a baseline measured in the same run.
// 1. Cold start of each action bundle (process start to exit on a trivial input) against a bare
//    `node -e 0`, runs interleaved so machine noise hits both alike. Target: at most 1.5x.
// 2. health-verify throughput: 200 checks against loopback endpoints that answer in 200 ms, with
//    concurrency 20, against the ideal of 10 rounds x 200 ms. Target: within 1.2x.
// 3. scripts/bench/*: engine benchmarks (below); gate-quality runs only when named, as it takes
//    about ten minutes (`npm run bench -- gate-quality [--quick]`; flags go to the named benchmarks).
//    Among them migrations-lint (1,000 generated migration files through migration-check's parse
//    and rules against libpg-query's bare parse, and squawk's CLI when installed: SQUAWK=path) and
//    migrations-proof (a 20-migration pull request proven on a throwaway PostgreSQL, by phase),
//    about 25 s and 50 s.
import { spawn, spawnSync } from "node:child_process";
import { createServer } from "node:http";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const RUNS = Number(process.env.BENCH_RUNS ?? 40);
const WARMUP = 5;

/** A trivial, valid input for each action, in its own workspace. */
const TRIVIAL = {
  "health-verify": (workspace) => {
    return {
      INPUT_CHECKS: JSON.stringify([
        { name: "noop", url: "http://127.0.0.1:9/", conditions: ["[CONNECTED] == false"] },
      ]),
      GITHUB_WORKSPACE: workspace,
    };
  },
  "canary-gate": (workspace) => {
    // One http metric against a closed port, no retries: start-up, one failed query, the report.
    const metrics = "- name: noop\n  provider: http\n  query: http://127.0.0.1:9/\n  max: 1\n";
    return {
      INPUT_METRICS: metrics,
      "INPUT_CONSECUTIVE-ERROR-LIMIT": "0",
      "INPUT_FAIL-ON": "none",
      GITHUB_WORKSPACE: workspace,
    };
  },
  "env-config": (workspace) => {
    mkdirSync(join(workspace, "environments"));
    writeFileSync(
      join(workspace, "environments", "base.yml"),
      "service: bench\nconfig:\n  logLevel: info\n",
    );
    writeFileSync(join(workspace, "environments", "dev.yml"), "config:\n  logLevel: debug\n");
    return { INPUT_ENVIRONMENT: "dev" };
  },
};

function time(command, args, env) {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, { env, stdio: ["ignore", "ignore", "pipe"] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0)
    throw new Error(`${args.join(" ")} exited ${result.status}: ${result.stderr}`);
  return ms;
}

const stats = (samples) => {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { median: at(0.5), p90: at(0.9), min: sorted[0] };
};

/** How a ratio stands against its target, as the figures print it. */
const against = (ratio, target) => (ratio <= target ? "(met)" : "(over target)");

const only = process.argv.slice(2).filter((arg) => !arg.startsWith("--"));
const flags = process.argv.slice(2).filter((arg) => arg.startsWith("--"));
/** Engine benchmarks that run only when named: gate-quality runs the canary-gate bundle for minutes. */
const ON_REQUEST = new Set(["gate-quality", "gate-lab"]);
if (only.length === 0) {
  console.log(
    `cold start, ${RUNS} runs each after ${WARMUP} warm-up runs, node ${process.version}`,
  );
  console.log("action            median ms   p90 ms   baseline median ms   ratio (target <= 1.5x)");
}
for (const [action, setup] of only.length > 0 ? [] : Object.entries(TRIVIAL)) {
  const bundle = join(root, "actions", action, "dist", "index.js");
  if (!existsSync(bundle)) continue;
  const workspace = mkdtempSync(join(tmpdir(), `bench-${action}-`));
  try {
    const files = Object.fromEntries(
      ["GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_STATE", "GITHUB_STEP_SUMMARY"].map((name) => {
        const path = join(workspace, name.toLowerCase());
        writeFileSync(path, "");
        return [name, path];
      }),
    );
    const env = {
      PATH: process.env.PATH,
      GITHUB_WORKSPACE: workspace,
      ...files,
      ...setup(workspace),
    };
    const bare = [];
    const cold = [];
    for (let i = 0; i < WARMUP + RUNS; i++) {
      const b = time(process.execPath, ["-e", "0"], env);
      const c = time(process.execPath, [bundle], env);
      if (i >= WARMUP) {
        bare.push(b);
        cold.push(c);
      }
    }
    const a = stats(cold);
    const base = stats(bare);
    const ratio = a.median / base.median;
    const columns = [
      action.padEnd(18),
      a.median.toFixed(1).padStart(9),
      a.p90.toFixed(1).padStart(9),
      base.median.toFixed(1).padStart(21),
      `   ${ratio.toFixed(2)}x ${against(ratio, 1.5)}`,
    ];
    console.log(columns.join(""));
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
}

/** Runs a bundle asynchronously (the endpoints it probes live in this process) and times it. */
function timeAsync(bundle, env) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, [bundle], { env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("close", (code) => {
      if (code !== 0) reject(new Error(`health-verify exited ${code}: ${stderr}`));
      else resolve(Number(process.hrtime.bigint() - start) / 1e6);
    });
  });
}

async function benchHealthVerify() {
  const bundle = join(root, "actions", "health-verify", "dist", "index.js");
  if (!existsSync(bundle)) return;
  const LATENCY = 200;
  const CHECKS = 200;
  const CONCURRENCY = 20;
  const server = createServer((_request, response) => {
    setTimeout(
      () => response.writeHead(200, { "content-type": "application/json" }).end('{"status":"UP"}'),
      LATENCY,
    );
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${server.address().port}/healthz`;
  const workspace = mkdtempSync(join(tmpdir(), "bench-health-"));
  try {
    const runEnv = (count) => {
      const files = Object.fromEntries(
        ["GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"].map((name) => {
          const path = join(workspace, name.toLowerCase());
          writeFileSync(path, "");
          return [name, path];
        }),
      );
      const checks = Array.from({ length: count }, (_, i) => ({
        name: `check-${i}`,
        url,
        conditions: ["[STATUS] == 200"],
      }));
      return {
        PATH: process.env.PATH,
        GITHUB_WORKSPACE: workspace,
        ...files,
        INPUT_CHECKS: JSON.stringify(checks),
        INPUT_CONCURRENCY: String(CONCURRENCY),
      };
    };
    const single = [];
    const full = [];
    for (let i = 0; i < 5; i++) {
      single.push(await timeAsync(bundle, runEnv(1)));
      full.push(await timeAsync(bundle, runEnv(CHECKS)));
    }
    const ideal = Math.ceil(CHECKS / CONCURRENCY) * LATENCY;
    const median = stats(full).median;
    console.log(
      `\nhealth-verify: ${CHECKS} checks, endpoints answering in ${LATENCY} ms, ` +
        `concurrency ${CONCURRENCY}, 5 runs`,
    );
    console.log(
      `  whole run median ${median.toFixed(0)} ms (p90 ${stats(full).p90.toFixed(0)} ms)`,
    );
    console.log(
      `  baseline: one check, same endpoint, median ${stats(single).median.toFixed(0)} ms ` +
        "(process start + one 200 ms request)",
    );
    const ratio = median / ideal;
    console.log(
      `  ideal ${Math.ceil(CHECKS / CONCURRENCY)} rounds x ${LATENCY} ms = ${ideal} ms; ` +
        `ratio ${ratio.toFixed(2)}x ${against(ratio, 1.2)} (target <= 1.2x)`,
    );
  } finally {
    server.close();
    rmSync(workspace, { recursive: true, force: true });
  }
}

if (only.length === 0) await benchHealthVerify();

/**
 * Engine benchmarks: each scripts/bench/<name>.ts (or .mjs) runs in its own node process, the
 * TypeScript ones through scripts/typescript/register.mjs; they print their own figures against a
 * baseline measured in the same run. `npm run bench -- <name>...` runs only those.
 */
async function benchEngines(only) {
  const dir = join(root, "scripts", "bench");
  if (!existsSync(dir)) return;
  const entries = readdirSync(dir)
    .filter((file) => /\.(ts|mjs)$/.test(file))
    .sort();
  for (const file of entries) {
    const name = file.replace(/\.(ts|mjs)$/, "");
    if (only.length > 0 ? !only.includes(name) : ON_REQUEST.has(name)) continue;
    console.log("");
    const loader = file.endsWith(".ts") ? ["--import", "./scripts/typescript/register.mjs"] : [];
    const result = spawnSync(
      process.execPath,
      ["--expose-gc", ...loader, join(dir, file), ...flags],
      {
        cwd: root,
        stdio: "inherit",
      },
    );
    if (result.status !== 0) throw new Error(`scripts/bench/${file} exited ${result.status}`);
  }
}

await benchEngines(only);
