// Child processes of the interop and cluster tests: started with a ready check, stopped by PID.
// Nothing here comes from npm, so tests/cluster/ imports it too.
//
//   const p = await startProcess({ command, args, label, ready: /regex on stdout+stderr/ });
//   p.pid, p.match (the ready regex's match), p.output(), p.alive
//   p.signal("SIGSTOP");  await p.stop();  // SIGTERM, then SIGKILL after a while
//
// Every child still running when the test process exits is SIGKILLed (and SIGCONTed first,
// in case a test left it stopped), so a failing test never leaves one behind.

import { spawn } from "node:child_process";
import net from "node:net";

export const HOST = "127.0.0.1";

const running = new Set();
function killAll() {
  for (const child of running) {
    try {
      process.kill(child.pid, "SIGCONT");
      process.kill(child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}
process.on("exit", killAll);
// Interrupted (Ctrl-C, a test runner's time limit): the children go too.
for (const [sig, n] of [["SIGINT", 2], ["SIGTERM", 15], ["SIGHUP", 1]]) {
  process.once(sig, () => {
    killAll();
    process.exit(128 + n);
  });
}

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

/** Resolves once a TCP connection to HOST:port succeeds (polling), rejects after timeoutMs. */
export async function waitForPort(port, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const s = net.connect({ host: HOST, port });
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing accepts connections on ${HOST}:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Spawns `command args`; resolves when `ready` (a RegExp) matches its output (stdout or
 * stderr; only stdout with readyOnStdout), or when `readyCheck()` resolves if given instead.
 * Rejects (after killing the child) if it exits first or nothing happens within readyTimeoutMs.
 */
export function startProcess({
  command,
  args = [],
  label = command,
  ready,
  readyOnStdout = false,
  readyCheck,
  readyTimeoutMs = 15000,
  cwd,
  env,
}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], cwd, env: env ?? process.env });
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
    const describe = () =>
      `${label} (${command} ${args.join(" ")})\n--- stdout ---\n${stdout.slice(-4000)}\n--- stderr ---\n${stderr.slice(-4000)}`;

    const fail = (message) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      exited.then(() => reject(new Error(`${message}: ${describe()}`)));
    };
    const succeed = (match) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(makeHandle(child, exited, label, match, () => ({ stdout, stderr }), describe));
    };
    const timer = setTimeout(() => fail(`not ready within ${readyTimeoutMs} ms`), readyTimeoutMs);

    const onOutput = () => {
      if (!ready || settled) return;
      const m = ready.exec(stdout) || (readyOnStdout ? null : ready.exec(stderr));
      if (m) succeed(m);
    };
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (chunk) => {
      stdout = (stdout + chunk).slice(-200000);
      onOutput();
    });
    child.stderr.on("data", (chunk) => {
      stderr = (stderr + chunk).slice(-200000);
      onOutput();
    });
    child.once("error", (err) => fail(`could not start: ${err.message}`));
    exited.then(({ code, signal }) => fail(`exited early (code ${code}, signal ${signal})`));
    if (readyCheck) {
      readyCheck().then(
        () => succeed(null),
        (err) => fail(err.message),
      );
    }
  });
}

function makeHandle(child, exited, label, match, output, describe) {
  let stopping;
  const handle = {
    pid: child.pid,
    label,
    match,
    output,
    describe,
    exited,
    get alive() {
      return child.exitCode === null && child.signalCode === null;
    },
    /** The exit status if it has exited, else null. */
    get exitStatus() {
      return handle.alive ? null : { code: child.exitCode, signal: child.signalCode };
    },
    signal(sig) {
      if (handle.alive) process.kill(child.pid, sig);
    },
    /**
     * SIGTERM by PID (SIGCONT first, in case it was stopped), SIGKILL after timeoutMs.
     * Resolves to { code, signal, killed, wasDead }.
     */
    stop({ signal = "SIGTERM", timeoutMs = 5000 } = {}) {
      if (stopping) return stopping;
      stopping = (async () => {
        if (!handle.alive) return { ...(await exited), killed: false, wasDead: true };
        try {
          process.kill(child.pid, "SIGCONT");
          process.kill(child.pid, signal);
        } catch {
          // exited in between
        }
        let timer;
        const timedOut = new Promise((r) => {
          timer = setTimeout(() => r("timeout"), timeoutMs);
        });
        const first = await Promise.race([exited, timedOut]);
        clearTimeout(timer);
        if (first === "timeout") {
          try {
            process.kill(child.pid, "SIGKILL");
          } catch {
            // gone
          }
          return { ...(await exited), killed: true, wasDead: false };
        }
        return { ...first, killed: false, wasDead: false };
      })();
      return stopping;
    },
  };
  return handle;
}
