// A throw-away redis-server on a free port of 127.0.0.1: no persistence, no config file.
//
//   const redis = await startRedis();     // redis.url = "redis://127.0.0.1:PORT"
//   await redis.kill();                   // SIGKILL (an outage)
//   await redis.restart();                // a fresh one on the same port
//   await redis.stop();

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { HOST, findFreePort, startProcess } from "../../interop/lib/process.mjs";

const REDIS_SERVER = process.env.REDIS_SERVER || "redis-server";

function spawnRedis(port, dir) {
  return startProcess({
    command: REDIS_SERVER,
    args: [
      "--port", String(port),
      "--bind", HOST,
      "--save", "",
      "--appendonly", "no",
      "--dir", dir,
      "--daemonize", "no",
      "--logfile", "",
      "--loglevel", "notice",
    ],
    label: `redis-server :${port}`,
    ready: /Ready to accept connections/,
    readyTimeoutMs: 10000,
  });
}

export async function startRedis({ attempts = 5 } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), "socketio-cluster-redis-"));
  let proc;
  let port;
  let lastError;
  for (let i = 0; i < attempts && !proc; i++) {
    port = await findFreePort();
    try {
      proc = await spawnRedis(port, dir);
    } catch (err) {
      lastError = err;
    }
  }
  if (!proc) throw lastError;

  const redis = {
    port,
    url: `redis://${HOST}:${port}`,
    get pid() {
      return proc.pid;
    },
    get alive() {
      return proc.alive;
    },
    /** SIGKILL: the abrupt outage. */
    async kill() {
      await proc.stop({ signal: "SIGKILL" });
    },
    /** Starts a fresh redis-server on the same port (retrying while the port is released). */
    async restart({ timeoutMs = 5000 } = {}) {
      if (proc.alive) await proc.stop();
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        try {
          proc = await spawnRedis(port, dir);
          return;
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    },
    async stop() {
      try {
        await proc.stop();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
  return redis;
}
