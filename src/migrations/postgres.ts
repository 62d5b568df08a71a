// A throwaway PostgreSQL: a cluster of its own in a temporary directory on 127.0.0.1 and a free
// port (or a fresh database on a server given by URL), always removed, also when a step fails.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chown, mkdtemp, readdir, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { ConfigurationError } from "../shared/errors.js";

const run = promisify(execFile);

export interface Database {
  /** Connection settings for a new client of the database. */
  config: pg.ClientConfig;
  /** Where it came from, for the report: "throwaway cluster (PostgreSQL 15)" or the server's host. */
  origin: string;
  /** Stops and removes it (a given server keeps running; only the database is dropped). */
  remove(): Promise<void>;
}

/**
 * The directory of initdb, pg_ctl and postgres: the given one, else PATH, else the newest
 * /usr/lib/postgresql/<version>/bin (where Debian and Ubuntu put them, off PATH).
 */
export async function findPostgresBin(
  given?: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  if (given) {
    if (existsSync(join(given, "pg_ctl"))) return given;
    throw new ConfigurationError({
      path: 'input "postgres-bin"',
      message: `${given} holds no pg_ctl`,
    });
  }
  const onPath = (env.PATH ?? "")
    .split(delimiter)
    .find((dir) => dir && existsSync(join(dir, "initdb")));
  if (onPath) return onPath;
  const root = "/usr/lib/postgresql";
  const versions = (await readdir(root).catch(() => [] as string[]))
    .filter((v) => existsSync(join(root, v, "bin", "initdb")))
    .sort((a, b) => Number(b) - Number(a));
  if (versions[0]) return join(root, versions[0], "bin");
  throw new ConfigurationError({
    path: 'input "database-url"',
    message:
      "no PostgreSQL server binaries (initdb, pg_ctl) on PATH or under /usr/lib/postgresql/*/bin: " +
      "install postgresql (apt-get install postgresql) or give database-url",
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** initdb refuses root: as root (a container), the cluster runs as the postgres user. */
async function runAs(): Promise<{ prefix: string[]; uid?: number; gid?: number }> {
  if (process.getuid?.() !== 0) return { prefix: [] };
  const { stdout: uid } = await run("id", ["-u", "postgres"]);
  const { stdout: gid } = await run("id", ["-g", "postgres"]);
  return { prefix: ["runuser", "-u", "postgres", "--"], uid: Number(uid), gid: Number(gid) };
}

/** Starts a cluster of its own; it is stopped and its directory removed by `remove`, or here on failure. */
export async function startThrowaway(bin: string): Promise<Database> {
  const dir = await mkdtemp(join(tmpdir(), "shipgate-pg-"));
  const data = join(dir, "data");
  const user = await runAs();
  const command = (tool: string, args: string[]) => {
    const [head, ...rest] = [...user.prefix, join(bin, tool), ...args];
    return run(head ?? tool, rest, { cwd: dir, timeout: 120_000 });
  };
  const stop = async () => {
    if (existsSync(join(data, "postmaster.pid")))
      await command("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    if (user.uid !== undefined) await chown(dir, user.uid, user.gid ?? user.uid);
    await command("initdb", [
      "-D",
      data,
      "-U",
      "postgres",
      "--auth=trust",
      "-E",
      "UTF8",
      "--no-sync",
    ]);
    const port = await freePort();
    const options = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c full_page_writes=off`;
    await command("pg_ctl", [
      "-D",
      data,
      "-l",
      join(dir, "server.log"),
      "-o",
      options,
      "-w",
      "-t",
      "60",
      "start",
    ]);
    const { stdout } = await run(join(bin, "postgres"), ["--version"]);
    return {
      config: { host: "127.0.0.1", port, user: "postgres", database: "postgres" },
      origin: `throwaway cluster (${stdout.trim()})`,
      remove: stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A fresh database on a server given by URL, dropped by `remove`. */
export async function freshDatabase(url: string): Promise<Database> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const name = `shipgate_check_${process.pid}_${Date.now().toString(36)}`;
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const parsed = new URL(url);
  const own = new URL(url);
  own.pathname = `/${name}`;
  return {
    config: { connectionString: own.toString() },
    origin: `database ${name} on ${parsed.hostname}`,
    remove: async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
