// Starts the server under test as a child process on a free port of 127.0.0.1, waits for
// its ready line `listening on http://HOST:PORT`, and stops it by PID.
//
// Which server:
//   SOCKETIO_REFERENCE=node    the Node.js reference in benchmarks/node-reference/
//                              (engine-echo.mjs for --engine-echo, else conformance-server.mjs)
//   SOCKETIO_SERVER=/path      the C++ conformance_server binary
//   SOCKETIO_SERVER_ARGS="..." extra arguments (space separated) for either
//
// Example:
//   const server = await startServer(["--engine-echo"]);
//   ... server.url, server.port ...
//   await server.stop();   // SIGTERM; asserts exit code 0 (SIGKILL after a timeout)

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(HERE, "..", "..", "..");
export const NODE_REFERENCE_DIR = path.join(REPO_ROOT, "benchmarks", "node-reference");
export const HOST = "127.0.0.1";

const READY_LINE = /^listening on http:\/\/(\S+):(\d+)\s*$/m;

// Every child still running when this process exits is killed, so that a failed test
// run never leaves a server behind.
const running = new Set();
process.on("exit", () => {
  for (const child of running) {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
});

/** A TCP port that was free a moment ago on 127.0.0.1 (bind port 0, read it, close). */
export function findFreePort(host = HOST) {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once("error", reject);
    srv.listen({ port: 0, host, exclusive: true }, () => {
      const { port } = srv.address();
      srv.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

/** The command that runs the server under test: { command, args, label }. */
export function serverCommand(extraArgs = []) {
  const envArgs = (process.env.SOCKETIO_SERVER_ARGS || "").split(/\s+/).filter(Boolean);
  const args = [...extraArgs, ...envArgs];
  if (process.env.SOCKETIO_REFERENCE === "node") {
    const script = args.includes("--engine-echo") ? "engine-echo.mjs" : "conformance-server.mjs";
    const scriptPath = path.join(NODE_REFERENCE_DIR, script);
    if (!existsSync(path.join(NODE_REFERENCE_DIR, "node_modules"))) {
      throw new Error(
        `SOCKETIO_REFERENCE=node needs the reference server's dependencies: run \`npm ci\` in ${NODE_REFERENCE_DIR}`,
      );
    }
    return { command: process.execPath, args: [scriptPath, ...args], label: `node ${script}` };
  }
  const binary = process.env.SOCKETIO_SERVER;
  if (!binary) {
    throw new Error(
      "set SOCKETIO_SERVER to the conformance_server binary, or SOCKETIO_REFERENCE=node for the Node.js reference",
    );
  }
  if (!existsSync(binary)) {
    throw new Error(`SOCKETIO_SERVER=${binary}: no such file`);
  }
  return { command: binary, args, label: path.basename(binary) };
}

function spawnOnce({ command, args, label }, port, readyTimeoutMs) {
  return new Promise((resolve, reject) => {
    const fullArgs = [...args, "--host", HOST, "--port", String(port)];
    const child = spawn(command, fullArgs, {
      stdio: ["ignore", "pipe", "pipe"],
      env: process.env,
    });
    running.add(child);
    let stdout = "";
    let stderr = "";
    let settled = false;

    const exited = new Promise((res) => {
      child.once("exit", (code, signal) => {
        running.delete(child);
        res({ code, signal });
      });
    });

    const fail = (message) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
      }
      const err = new Error(
        `${label} ${fullArgs.join(" ")}: ${message}\n--- stdout ---\n${stdout.slice(-4000)}\n--- stderr ---\n${stderr.slice(-4000)}`,
      );
      exited.then(() => reject(err));
    };

    const timer = setTimeout(
      () => fail(`no "listening on http://HOST:PORT" line within ${readyTimeoutMs} ms`),
      readyTimeoutMs,
    );

    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (chunk) => {
      stdout = (stdout + chunk).slice(-65536);
      const m = READY_LINE.exec(stdout);
      if (m && !settled) {
        settled = true;
        clearTimeout(timer);
        const shownPort = Number(m[2]);
        if (shownPort !== port) {
          child.kill("SIGKILL");
          exited.then(() =>
            reject(new Error(`${label} announced port ${shownPort}, was asked for ${port}`)),
          );
          return;
        }
        resolve({ child, exited, output: () => ({ stdout, stderr }) });
      }
    });
    child.stderr.on("data", (chunk) => {
      stderr = (stderr + chunk).slice(-65536);
    });
    child.once("error", (err) => fail(`could not start: ${err.message}`));
    exited.then(({ code, signal }) => fail(`exited early (code ${code}, signal ${signal})`));
  });
}

/**
 * Starts the server under test with `extraArgs` (e.g. ["--engine-echo"]) on a free port.
 * Retries on a fresh port when the process fails to listen (port taken in between).
 */
export async function startServer(extraArgs = [], { attempts = 5, readyTimeoutMs = 10000, stopTimeoutMs = 5000 } = {}) {
  const cmd = serverCommand(extraArgs);
  let lastError;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const port = await findFreePort();
    let started;
    try {
      started = await spawnOnce(cmd, port, readyTimeoutMs);
    } catch (err) {
      lastError = err;
      continue;
    }
    const { child, exited, output } = started;
    let stopping;
    return {
      port,
      host: HOST,
      url: `http://${HOST}:${port}`,
      wsUrl: `ws://${HOST}:${port}`,
      pid: child.pid,
      label: cmd.label,
      output,
      get alive() {
        return child.exitCode === null && child.signalCode === null;
      },
      /**
       * SIGTERM by PID, wait up to stopTimeoutMs, then SIGKILL. Throws unless the server
       * exited by itself with code 0 after SIGTERM.
       */
      stop() {
        if (stopping) return stopping;
        stopping = (async () => {
          if (child.exitCode !== null || child.signalCode !== null) {
            const { code, signal } = await exited;
            throw new Error(`${cmd.label} (pid ${child.pid}) had already exited (code ${code}, signal ${signal}) before stop()`);
          }
          process.kill(child.pid, "SIGTERM");
          let timer;
          const timedOut = new Promise((res) => {
            timer = setTimeout(() => res("timeout"), stopTimeoutMs);
          });
          const first = await Promise.race([exited, timedOut]);
          clearTimeout(timer);
          if (first === "timeout") {
            process.kill(child.pid, "SIGKILL");
            await exited;
            throw new Error(`${cmd.label} (pid ${child.pid}) did not exit within ${stopTimeoutMs} ms of SIGTERM; killed`);
          }
          const { code, signal } = first;
          if (code !== 0) {
            const { stderr } = output();
            throw new Error(
              `${cmd.label} (pid ${child.pid}) exited with code ${code}, signal ${signal} on SIGTERM (expected code 0)\n--- stderr ---\n${stderr.slice(-4000)}`,
            );
          }
          return { code, signal };
        })();
        return stopping;
      },
    };
  }
  throw lastError;
}
