// A Prometheus that requires a bearer token: a real nginx (Debian) in front of the lab's Prometheus,
// answering 401 to any request without `Authorization: Bearer <token>`, as a hosted one does.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../lab/lib/processes.mjs";

export interface AuthProxy {
  url: string;
  /** Requests refused for want of the token. */
  refused(): Promise<number>;
  stop(): Promise<void>;
}

function config(dir: string, port: number, upstream: string, token: string): string {
  return `daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 64; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/tmp/client;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  server {
    listen 127.0.0.1:${port};
    location / {
      if ($http_authorization != "Bearer ${token}") { return 401; }
      proxy_pass ${upstream};
    }
  }
}
`;
}

export async function startAuthProxy(upstream: string, token: string): Promise<AuthProxy> {
  const dir = await mkdtemp(join(tmpdir(), "shipgate-auth-proxy-"));
  await mkdir(join(dir, "tmp"), { recursive: true });
  const port = await freePort();
  await writeFile(join(dir, "nginx.conf"), config(dir, port, upstream, token));
  const nginx: ChildProcess = spawn("nginx", ["-p", `${dir}/`, "-c", join(dir, "nginx.conf")], {
    stdio: "ignore",
  });
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt++) {
    const answered = await fetch(`${url}/-/ready`).then(
      (response) => response.status,
      () => 0,
    );
    if (answered === 401) break;
    if (attempt > 100) throw new Error(`the auth proxy did not start (last answer ${answered})`);
    await new Promise((done) => setTimeout(done, 50));
  }
  return {
    url,
    refused: async () => {
      const { readFile } = await import("node:fs/promises");
      const log = await readFile(join(dir, "access.log"), "utf8").catch(() => "");
      return log.split("\n").filter((line) => / 401 /.test(line)).length;
    },
    stop: async () => {
      nginx.kill("SIGTERM");
      await new Promise((done) => nginx.once("exit", done));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
