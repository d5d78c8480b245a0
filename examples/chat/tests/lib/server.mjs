// Runs the chat binary for a test file: CHAT_SERVER names it; it is started on a free
// port of 127.0.0.1 and is ready once it prints `listening on http://HOST:PORT`.
// stop() sends SIGTERM to its PID and checks that it exits with code 0.

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import net from "node:net";

export const HOST = "127.0.0.1";
const READY = /^listening on http:\/\/(\S+):(\d+)$/m;

const children = new Set();
process.on("exit", () => {
  // A test run that dies never leaves a server behind.
  for (const child of children) child.kill("SIGKILL");
});

/** A port that was free on HOST a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen({ host: HOST, port: 0, exclusive: true }, () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

function chatBinary() {
  const binary = process.env.CHAT_SERVER;
  if (!binary) throw new Error("set CHAT_SERVER to the chat binary (build target `chat`)");
  if (!existsSync(binary)) throw new Error(`CHAT_SERVER=${binary}: no such file`);
  return binary;
}

function launch(binary, args, port, readyMs) {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, [...args, "--host", HOST, "--port", String(port)], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.add(child);
    let stdout = "";
    let stderr = "";
    let done = false;
    const exited = new Promise((res) =>
      child.once("exit", (code, signal) => {
        children.delete(child);
        res({ code, signal });
      }),
    );
    const fail = (why) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.kill("SIGKILL");
      exited.then(() => reject(new Error(`${binary}: ${why}\nstdout: ${stdout}\nstderr: ${stderr}`)));
    };
    const timer = setTimeout(() => fail(`not ready within ${readyMs} ms`), readyMs);
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      const match = READY.exec(stdout);
      if (match && !done) {
        done = true;
        clearTimeout(timer);
        if (Number(match[2]) !== port) {
          child.kill("SIGKILL");
          exited.then(() => reject(new Error(`announced port ${match[2]}, asked for ${port}`)));
        } else {
          resolve({ child, exited, logs: () => ({ stdout, stderr }) });
        }
      }
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.once("error", (err) => fail(`cannot start: ${err.message}`));
    exited.then(({ code, signal }) => fail(`exited early (code ${code}, signal ${signal})`));
  });
}

/**
 * Starts the chat server; extra command-line arguments may be given.
 * Returns { url, port, pid, logs(), stop(signal = "SIGTERM") }.
 */
export async function startChat(args = [], { readyMs = 10000, stopMs = 5000 } = {}) {
  const binary = chatBinary();
  let lastError;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    let running;
    try {
      running = await launch(binary, args, port, readyMs);
    } catch (err) {
      lastError = err; // most likely the port was taken in between: try another
      continue;
    }
    const { child, exited, logs } = running;
    let stopping = null;
    return {
      port,
      url: `http://${HOST}:${port}`,
      pid: child.pid,
      logs,
      get running() {
        return child.exitCode === null && child.signalCode === null;
      },
      /** Signals the server by PID; resolves when it exited with code 0, else throws. */
      stop(signal = "SIGTERM") {
        stopping ??= (async () => {
          if (child.exitCode !== null || child.signalCode !== null) {
            throw new Error(`the chat server (pid ${child.pid}) had already exited`);
          }
          process.kill(child.pid, signal);
          let timer;
          const late = new Promise((res) => {
            timer = setTimeout(() => res(null), stopMs);
          });
          const result = await Promise.race([exited, late]);
          clearTimeout(timer);
          if (!result) {
            process.kill(child.pid, "SIGKILL");
            await exited;
            throw new Error(`the chat server (pid ${child.pid}) ignored ${signal} for ${stopMs} ms; killed`);
          }
          if (result.code !== 0) {
            throw new Error(
              `the chat server exited with code ${result.code} (signal ${result.signal}) on ${signal}\n${logs().stderr}`,
            );
          }
          return result;
        })();
        return stopping;
      },
    };
  }
  throw lastError;
}
