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

import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { HOST, findFreePort, startProcess } from "./process.mjs";

export { HOST, findFreePort };

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(HERE, "..", "..", "..");
export const NODE_REFERENCE_DIR = path.join(REPO_ROOT, "benchmarks", "node-reference");

const READY_LINE = /^listening on http:\/\/(\S+):(\d+)\s*$/m;

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

/**
 * Starts the server under test with `extraArgs` (e.g. ["--engine-echo"]) on a free port.
 * Retries on a fresh port when the process fails to listen (port taken in between).
 */
export async function startServer(extraArgs = [], { attempts = 5, readyTimeoutMs = 10000, stopTimeoutMs = 5000 } = {}) {
  const cmd = serverCommand(extraArgs);
  let lastError;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const port = await findFreePort();
    let proc;
    try {
      proc = await startProcess({
        command: cmd.command,
        args: [...cmd.args, "--host", HOST, "--port", String(port)],
        label: cmd.label,
        ready: READY_LINE,
        readyOnStdout: true,
        readyTimeoutMs,
      });
    } catch (err) {
      lastError = err;
      continue;
    }
    const shownPort = Number(proc.match[2]);
    if (shownPort !== port) {
      await proc.stop({ signal: "SIGKILL" });
      lastError = new Error(`${cmd.label} announced port ${shownPort}, was asked for ${port}`);
      continue;
    }
    let stopping;
    return {
      port,
      host: HOST,
      url: `http://${HOST}:${port}`,
      wsUrl: `ws://${HOST}:${port}`,
      pid: proc.pid,
      label: cmd.label,
      output: proc.output,
      get alive() {
        return proc.alive;
      },
      /**
       * SIGTERM by PID, wait up to stopTimeoutMs, then SIGKILL. Throws unless the server
       * exited by itself with code 0 after SIGTERM.
       */
      stop() {
        if (stopping) return stopping;
        stopping = (async () => {
          const { code, signal, killed, wasDead } = await proc.stop({ timeoutMs: stopTimeoutMs });
          if (wasDead) {
            throw new Error(`${cmd.label} (pid ${proc.pid}) had already exited (code ${code}, signal ${signal}) before stop()`);
          }
          if (killed) {
            throw new Error(`${cmd.label} (pid ${proc.pid}) did not exit within ${stopTimeoutMs} ms of SIGTERM; killed`);
          }
          if (code !== 0) {
            const { stderr } = proc.output();
            throw new Error(
              `${cmd.label} (pid ${proc.pid}) exited with code ${code}, signal ${signal} on SIGTERM (expected code 0)\n--- stderr ---\n${stderr.slice(-4000)}`,
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
