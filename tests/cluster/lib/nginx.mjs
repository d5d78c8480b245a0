// nginx in front of three cluster nodes, on a free port of 127.0.0.1, with the example's
// configuration (examples/cluster/nginx.conf.template), run from a temporary prefix (config,
// pid, logs and temp files all in there), in the foreground, stopped by PID.
//
//   const lb = await startNginx([node0.port, node1.port, node2.port]);
//   lb.url;  await lb.stop();
//
// Stickiness: socket.io-client sends its `query` options with every request of a session
// (polling and the WebSocket upgrade), so clients pass `query: { node: K }` and nginx
// picks the upstream by `hash $arg_node` (no parameter: the client address). See
// examples/cluster/README.md.

import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { HOST, findFreePort, startProcess, waitForPort } from "../../interop/lib/process.mjs";

export const NGINX = process.env.NGINX || "/usr/sbin/nginx";
const TEMPLATE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "examples", "cluster", "nginx.conf.template");

/** examples/cluster/nginx.conf.template with its placeholders filled in. */
export function nginxConfig({ listenPort, upstreamPorts, prefix }) {
  if (upstreamPorts.length !== 3) throw new Error(`the nginx template has three upstream nodes, got ${upstreamPorts.length}`);
  // A master started by root would switch its workers to "nobody", who cannot write into
  // the temporary prefix: run them as the current user.
  const user = process.getuid?.() === 0 ? `user ${userInfo().username};` : "";
  const values = {
    USER: user,
    PREFIX: prefix,
    LISTEN: `${HOST}:${listenPort}`,
    NODE1: `${HOST}:${upstreamPorts[0]}`,
    NODE2: `${HOST}:${upstreamPorts[1]}`,
    NODE3: `${HOST}:${upstreamPorts[2]}`,
  };
  const text = readFileSync(TEMPLATE, "utf8").replace(/@([A-Z0-9]+)@/g, (m, key) => {
    if (!(key in values)) throw new Error(`${TEMPLATE}: unknown placeholder ${m}`);
    return values[key];
  });
  return text;
}

export async function startNginx(upstreamPorts, { attempts = 5 } = {}) {
  if (!existsSync(NGINX)) throw new Error(`no nginx at ${NGINX} (set NGINX=/path/to/nginx)`);
  const prefix = mkdtempSync(path.join(tmpdir(), "socketio-cluster-nginx-"));
  const conf = path.join(prefix, "nginx.conf");
  let proc;
  let port;
  let lastError;
  for (let i = 0; i < attempts && !proc; i++) {
    port = await findFreePort();
    writeFileSync(conf, nginxConfig({ listenPort: port, upstreamPorts, prefix }));
    try {
      proc = await startProcess({
        command: NGINX,
        args: ["-p", prefix, "-c", conf, "-e", path.join(prefix, "nginx-error.log"), "-g", "daemon off;"],
        label: `nginx :${port}`,
        readyCheck: () => waitForPort(port, 10000),
        readyTimeoutMs: 12000,
      });
    } catch (err) {
      const log = path.join(prefix, "nginx-error.log");
      lastError = new Error(`${err.message}\n--- error.log ---\n${existsSync(log) ? readFileSync(log, "utf8").slice(-3000) : ""}`);
    }
  }
  if (!proc) {
    rmSync(prefix, { recursive: true, force: true });
    throw lastError;
  }
  return {
    port,
    url: `http://${HOST}:${port}`,
    pid: proc.pid,
    prefix,
    get alive() {
      return proc.alive;
    },
    errorLog() {
      const log = path.join(prefix, "nginx-error.log");
      return existsSync(log) ? readFileSync(log, "utf8") : "";
    },
    async stop() {
      // SIGQUIT would wait for open WebSockets; SIGTERM is nginx's fast shutdown.
      try {
        return await proc.stop({ signal: "SIGTERM" });
      } finally {
        rmSync(prefix, { recursive: true, force: true });
      }
    },
  };
}
