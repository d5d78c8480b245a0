// Starts the notifications server (NOTIFY_SERVER=/path/to/notifications) on a free port of
// 127.0.0.1, waits for `listening on http://HOST:PORT`, and stops it by PID with SIGTERM
// (expecting exit code 0). Also: the HTTP helpers and the token minting the tests share.

import { spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { existsSync } from "node:fs";
import net from "node:net";

export const HOST = "127.0.0.1";
export const SECRET = "test-secret-0123456789";
export const API_KEY = "test-api-key";

const READY = /^listening on http:\/\/(\S+):(\d+)\s*$/m;
const children = new Set();
process.on("exit", () => {
  for (const child of children) {
    try {
      child.kill("SIGKILL");
    } catch {
      // gone already
    }
  }
});

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once("error", reject);
    srv.listen({ host: HOST, port: 0, exclusive: true }, () => {
      const { port } = srv.address();
      srv.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

function binary() {
  const path = process.env.NOTIFY_SERVER;
  if (!path) throw new Error("set NOTIFY_SERVER to the notifications binary (build/…/examples/notifications/notifications)");
  if (!existsSync(path)) throw new Error(`NOTIFY_SERVER=${path}: no such file`);
  return path;
}

function spawnOn(port, args) {
  return new Promise((resolve, reject) => {
    const fullArgs = ["--secret", SECRET, "--api-key", API_KEY, ...args, "--host", HOST, "--port", String(port)];
    const child = spawn(binary(), fullArgs, { stdio: ["ignore", "pipe", "pipe"] });
    children.add(child);
    let stdout = "";
    let stderr = "";
    let settled = false;
    const exited = new Promise((res) =>
      child.once("exit", (code, signal) => {
        children.delete(child);
        res({ code, signal });
      }),
    );
    const fail = (why) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      exited.then(() => reject(new Error(`notifications ${fullArgs.join(" ")}: ${why}\n${stdout}\n${stderr}`)));
    };
    const timer = setTimeout(() => fail("no ready line within 10 s"), 10_000);
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      if (!settled && READY.test(stdout)) {
        settled = true;
        clearTimeout(timer);
        resolve({ child, exited, logs: () => ({ stdout, stderr }) });
      }
    });
    child.stderr.on("data", (chunk) => {
      stderr = (stderr + chunk).slice(-65536);
    });
    child.once("error", (err) => fail(err.message));
    exited.then(({ code, signal }) => fail(`exited early (code ${code}, signal ${signal})`));
  });
}

/** Starts a server with extra arguments; retries on another port if binding failed. */
export async function startServer(args = []) {
  let lastError;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    let started;
    try {
      started = await spawnOn(port, args);
    } catch (err) {
      lastError = err;
      continue;
    }
    const { child, exited, logs } = started;
    let stopping;
    return {
      url: `http://${HOST}:${port}`,
      port,
      pid: child.pid,
      logs,
      get alive() {
        return child.exitCode === null && child.signalCode === null;
      },
      /** SIGTERM by PID; resolves to the exit code (SIGKILL and throws after 5 s). */
      stop() {
        stopping ??= (async () => {
          if (child.exitCode !== null || child.signalCode !== null) {
            const { code, signal } = await exited;
            throw new Error(`the server had already exited (code ${code}, signal ${signal})`);
          }
          process.kill(child.pid, "SIGTERM");
          let timer;
          const timeout = new Promise((res) => (timer = setTimeout(() => res("timeout"), 5000)));
          const result = await Promise.race([exited, timeout]);
          clearTimeout(timer);
          if (result === "timeout") {
            process.kill(child.pid, "SIGKILL");
            await exited;
            throw new Error("the server did not exit within 5 s of SIGTERM");
          }
          return result;
        })();
        return stopping;
      },
    };
  }
  throw lastError;
}

// ---- tokens -----------------------------------------------------------------------

const b64url = (data) => Buffer.from(data).toString("base64url");

/** A compact JWS from a header and claims objects, HMAC-SHA256 signed with `secret`. */
export function makeToken(claims, { secret = SECRET, header = { alg: "HS256", typ: "JWT" } } = {}) {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const signature = createHmac("sha256", secret).update(input).digest("base64url");
  return `${input}.${signature}`;
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A valid token for `user`, good for an hour. */
export const tokenFor = (user) => makeToken({ sub: user, iat: nowSeconds(), exp: nowSeconds() + 3600 });

// ---- HTTP -------------------------------------------------------------------------

/** POST JSON (or a raw string) to the API; returns { status, body, headers }. */
export async function api(server, path, payload, { key = API_KEY, method = "POST", raw } = {}) {
  const headers = { "content-type": "application/json" };
  if (key !== null) headers["x-api-key"] = key;
  const init = { method, headers };
  if (method !== "GET" && method !== "HEAD") init.body = raw ?? JSON.stringify(payload ?? {});
  const res = await fetch(`${server.url}${path}`, init);
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body, headers: res.headers };
}
