// cost-report digest throughput and peak memory on a 5-million-row FOCUS CSV, side by side with
// DuckDB (@duckdb/node-api, a dev dependency) computing the same totals in the same run.
//
// The file is generated from the FOCUS 1.0 sample (test/fixtures/cost/focus-1.0-sample-1000.csv):
// rows are resampled with a fixed-seed generator, ChargePeriodStart/End are moved to a day of
// September 2024 (the hour kept), and BilledCost/EffectiveCost are multiplied by 1 to 4 (exactly,
// as decimals). All 44 columns are kept, so a row is as wide as a real export's.
//
// cost-report runs as the runner runs it: the bundled actions/cost-report/dist/index.js in a child
// process, whose peak RSS (VmHWM) is read from /proc/self/status at its exit. Targets: at least half
// of DuckDB's rows per second; peak memory under 256 MB. `BENCH_ROWS` changes the row count,
// `BENCH_DIGEST_RUNS` the number of interleaved runs of each (3; the best of each is compared).
import { spawnSync } from "node:child_process";
import {
  createWriteStream,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { once } from "node:events";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "csv-parse/sync";
import { DuckDBInstance } from "@duckdb/node-api";

const root = fileURLToPath(new URL("../..", import.meta.url));
const ROWS = Number(process.env.BENCH_ROWS ?? 5_000_000);
const RUNS = Number(process.env.BENCH_DIGEST_RUNS ?? 3);
const SAMPLE = join(root, "test", "fixtures", "cost", "focus-1.0-sample-1000.csv");
const BUNDLE = join(root, "actions", "cost-report", "dist", "index.js");

/** Exact decimal text × a small whole number, keeping the scale. */
function times(text, factor) {
  if (text === "NULL" || text === "") return text;
  const negative = text.startsWith("-");
  const [whole, fraction = ""] = (negative ? text.slice(1) : text).split(".");
  const digits = (BigInt(`${whole}${fraction}`) * BigInt(factor))
    .toString()
    .padStart(fraction.length + 1, "0");
  const result =
    fraction.length > 0
      ? `${digits.slice(0, -fraction.length)}.${digits.slice(-fraction.length)}`
      : digits;
  return negative ? `-${result}` : result;
}

const quote = (value) =>
  /[",\n\r]/.test(value) || value === "" ? `"${value.replace(/"/g, '""')}"` : value;

async function generate(path) {
  const text = readFileSync(SAMPLE, "utf8");
  const [header, ...rows] = parse(text, { relax_column_count: false });
  const at = (name) => header.indexOf(name);
  const [billed, effective, end, start] = [
    "BilledCost",
    "EffectiveCost",
    "ChargePeriodEnd",
    "ChargePeriodStart",
  ].map(at);
  const cell = (row, index) => (row[index] === "NULL" ? "NULL" : quote(row[index]));
  // Each sample row pre-split around the four cells that vary, and its variants pre-built.
  const templates = rows.map((row) => {
    const segment = (from, to) =>
      row
        .slice(from, to)
        .map((_, offset) => cell(row, from + offset))
        .join(",");
    const startTime = Date.parse(`${row[start].replace(" ", "T")}Z`);
    const length = Date.parse(`${row[end].replace(" ", "T")}Z`) - startTime;
    const hour = row[start].slice(10);
    return {
      head: segment(0, billed),
      middle: segment(billed + 1, end),
      between: segment(start + 1, effective),
      tail: segment(effective + 1, row.length),
      costs: [1, 2, 3, 4].map((factor) => [
        times(row[billed], factor),
        times(row[effective], factor),
      ]),
      dates: Array.from({ length: 30 }, (_, day) => {
        const moved = `2024-09-${String(day + 1).padStart(2, "0")}${hour}`;
        const finish = new Date(Date.parse(`${moved.replace(" ", "T")}Z`) + length)
          .toISOString()
          .replace("T", " ")
          .slice(0, 19);
        return [`"${finish}"`, `"${moved}"`];
      }),
    };
  });
  if (billed > end || end > start || start > effective)
    throw new Error("unexpected column order in the sample");
  const out = createWriteStream(path, { highWaterMark: 1 << 22 });
  out.write(`${header.map(quote).join(",")}\n`);
  let seed = 20240901;
  const next = () => (seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0);
  let batch = "";
  for (let i = 0; i < ROWS; i++) {
    const template = templates[next() % templates.length];
    const [billedText, effectiveText] = template.costs[next() % 4];
    const [endText, startText] = template.dates[next() % 30];
    batch +=
      `${template.head},${billedText},${template.middle},${endText},` +
      `${startText},${template.between},${effectiveText},${template.tail}\n`;
    if (batch.length > 1 << 22) {
      if (!out.write(batch)) await once(out, "drain");
      batch = "";
    }
  }
  out.end(batch);
  await once(out, "finish");
}

function runDigest(dir, file) {
  const files = Object.fromEntries(
    ["GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"].map((name) => [name, join(dir, name.toLowerCase())]),
  );
  for (const path of Object.values(files)) writeFileSync(path, "");
  const report = join(dir, "rss");
  // Preloaded into the action's process: writes its peak RSS (KiB) when it exits. VmHWM, not
  // getrusage's maxRSS: Linux carries ru_maxrss over fork and exec, so a child of a big parent
  // (this one, once DuckDB ran in it) would report the parent's peak.
  const hook =
    'data:text/javascript,import{readFileSync,writeFileSync}from"node:fs";' +
    `process.on("exit",()=>writeFileSync(${JSON.stringify(report)},` +
    '/VmHWM:\\s+(\\d+)/.exec(readFileSync("/proc/self/status","utf8"))[1]))';
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ["--import", hook, BUNDLE], {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      GITHUB_WORKSPACE: dir,
      GITHUB_REPOSITORY: "bench/bench",
      ...files,
      INPUT_MODE: "digest",
      "INPUT_FOCUS-FILES": file,
      INPUT_PERIOD: "2024-09",
    },
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0)
    throw new Error(`cost-report exited ${result.status}: ${result.stdout}\n${result.stderr}`);
  const outputs = {};
  const text = readFileSync(files.GITHUB_OUTPUT, "utf8").split("\n");
  for (let i = 0; i < text.length; i++) {
    const match = /^([^<]+)<<(.+)$/.exec(text[i]);
    if (!match) continue;
    const end = text.indexOf(match[2], i + 1);
    outputs[match[1]] = text.slice(i + 1, end).join("\n");
    i = end;
  }
  return {
    seconds,
    maxRssKb: Number(readFileSync(report, "utf8")),
    report: JSON.parse(outputs.report),
  };
}

/** DuckDB's exact sums, as plain decimals trimmed the way cost-report writes them. */
async function runDuckDb(file) {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  const started = process.hrtime.bigint();
  const reader = await connection.runAndReadAll(`
    WITH rows AS (
      SELECT BilledCost::DECIMAL(38,12) AS billed, EffectiveCost::DECIMAL(38,12) AS effective,
             ServiceName AS service,
             coalesce(nullif(json_extract_string(Tags, '$.environment'), ''), '(untagged)') AS environment
      FROM read_csv('${file}', nullstr = 'NULL', all_varchar = true)
      WHERE ChargePeriodStart >= '2024-09-01' AND ChargePeriodStart < '2024-10-01'
    )
    SELECT 'environment' AS kind, environment AS name, sum(billed)::VARCHAR AS billed,
           sum(effective)::VARCHAR AS effective, count(*) AS n FROM rows GROUP BY ALL
    UNION ALL
    SELECT 'service', service, sum(billed)::VARCHAR, sum(effective)::VARCHAR, count(*) FROM rows GROUP BY ALL
  `);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const trim = (text) => {
    let value = text.includes(".") ? text.replace(/0+$/, "").replace(/\.$/, "") : text;
    if (value === "-0" || value === "") value = "0";
    return value;
  };
  const groups = { environment: {}, service: {} };
  let total = 0n;
  for (const row of reader.getRowObjects()) {
    groups[row.kind][row.name] = { billed: trim(row.billed), effective: trim(row.effective) };
    if (row.kind === "environment") total += BigInt(row.n);
  }
  connection.closeSync?.();
  return { seconds, groups, rows: Number(total) };
}

const dir = mkdtempSync(join(tmpdir(), "bench-cost-digest-"));
try {
  const file = join(dir, "focus-5m.csv");
  const generating = Date.now();
  await generate(file);
  const size = statSync(file).size;
  const generated = ((Date.now() - generating) / 1000).toFixed(1);
  console.log(
    `cost-report digest: ${ROWS.toLocaleString("en-US")} FOCUS rows resampled from the sample ` +
      `(${(size / 1e6).toFixed(0)} MB), generated in ${generated} s, node ${process.version}`,
  );
  // Interleaved, RUNS times each, best of each kept: the machine is shared, and the first read
  // of the file warms the page cache for both.
  const oursRuns = [];
  const duckRuns = [];
  for (let i = 0; i < RUNS; i++) {
    oursRuns.push(runDigest(dir, file));
    duckRuns.push(await runDuckDb(file));
  }
  const ours = oursRuns.reduce((best, run) => (run.seconds < best.seconds ? run : best));
  const duck = duckRuns.reduce((best, run) => (run.seconds < best.seconds ? run : best));
  ours.maxRssKb = Math.max(...oursRuns.map((run) => run.maxRssKb));
  const oursEach = oursRuns.map(
    (run) => `${run.seconds.toFixed(2)} s/${(run.maxRssKb / 1024).toFixed(0)} MB`,
  );
  const duckEach = duckRuns.map((run) => `${run.seconds.toFixed(2)} s`);
  console.log(
    `runs: cost-report ${oursEach.join(", ")}; DuckDB ${duckEach.join(", ")}; ` +
      "best time of each below, highest peak",
  );
  const asRecord = (items) =>
    Object.fromEntries(
      items.map((item) => [item.name, { billed: item.billed, effective: item.effective }]),
    );
  const sortKeys = (record) =>
    JSON.stringify(
      Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b))),
    );
  const agree =
    sortKeys(asRecord(ours.report.environments)) === sortKeys(duck.groups.environment) &&
    sortKeys(asRecord(ours.report.services)) === sortKeys(duck.groups.service);
  const ourRate = ROWS / ours.seconds;
  const duckRate = ROWS / duck.seconds;
  const peakMb = ours.maxRssKb / 1024;
  console.log("                      seconds     rows/s   peak RSS");
  const row = (name, seconds, rate, rest) =>
    `${name.padEnd(22)}${seconds.toFixed(2).padStart(7)} ` +
    `${Math.round(rate).toLocaleString("en-US").padStart(10)}   ${rest}`;
  console.log(
    row(
      "cost-report (bundle)",
      ours.seconds,
      ourRate,
      `${peakMb.toFixed(0)} MB (whole action process)`,
    ),
  );
  console.log(row("DuckDB (node-api)", duck.seconds, duckRate, "(in this process)"));
  console.log(
    `ratio: ${(ourRate / duckRate).toFixed(2)} of DuckDB's rows/s ` +
      `${ourRate >= duckRate / 2 ? "(met)" : "(under target)"} (target >= 0.5); ` +
      `peak ${peakMb.toFixed(0)} MB ${peakMb < 256 ? "(met)" : "(over target)"} (target < 256 MB)`,
  );
  console.log(
    `totals per environment and per service: ${agree ? "agree" : "DISAGREE"} ` +
      `(cost-report ${ours.report.total.billed} billed, ${ours.report.environments.length} environments, ` +
      `${ours.report.services.length} services; DuckDB counted ${duck.rows.toLocaleString("en-US")} rows)`,
  );
  if (!agree) {
    console.log(
      JSON.stringify(
        { ours: asRecord(ours.report.environments), duck: duck.groups.environment },
        null,
        2,
      ),
    );
    process.exitCode = 1;
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
