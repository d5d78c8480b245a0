// Cluster nodes: Socket.IO servers sharing one Redis, of two kinds.
//
//   "node"  node tests/cluster/node-server.mjs          (socket.io 4.8 + @socket.io/redis-adapter 8.3)
//   "cpp"   $SOCKETIO_SERVER (the C++ conformance_server binary)
//
// both run as   --redis redis://127.0.0.1:P --host 127.0.0.1 --port 0 --name NAME
//               --requests-timeout MS --ping-interval 2000 --ping-timeout 5000
// and announce their port with `listening on http://HOST:PORT`.
//
//   const kinds = clusterKinds();                  // from CLUSTER_NODES, e.g. ["cpp", "node"]
//   const cluster = await startCluster(kinds);     // redis + one node per kind
//   cluster.nodes[0].url, .name, .kind, .pid, .signal("SIGSTOP"), .stop()
//   await cluster.stop();                          // everything, by PID
//
// CLUSTER_VERBOSE=1 prints every node's output when the cluster stops.

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { HOST, startProcess } from "../../interop/lib/process.mjs";
import { startRedis } from "./redis.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const CLUSTER_DIR = path.resolve(HERE, "..");
// CLUSTER_NODE_SERVER: another script for "node" nodes (to try the tests themselves).
const NODE_SERVER = process.env.CLUSTER_NODE_SERVER || path.join(CLUSTER_DIR, "node-server.mjs");
const READY_LINE = /^listening on http:\/\/(\S+):(\d+)\s*$/m;

// Heartbeats far slower than the contract's defaults (300/200 ms): two busy cores must not
// be mistaken for dead clients, and a node stopped for a second or two keeps its clients.
const HEARTBEAT_ARGS = ["--ping-interval", "2000", "--ping-timeout", "5000"];

export const KIND_LABEL = { cpp: "C++", node: "Node" };

/**
 * The node kinds to test: CLUSTER_NODES ("cpp,node", ...), else "cpp,cpp" when
 * SOCKETIO_SERVER is set, else "node,node". `count` repeats the list cyclically.
 */
export function clusterKinds(count = 2) {
  const raw = process.env.CLUSTER_NODES || (process.env.SOCKETIO_SERVER ? "cpp,cpp" : "node,node");
  const list = raw.split(",").map((s) => s.trim()).filter(Boolean);
  for (const k of list) {
    if (k !== "cpp" && k !== "node") throw new Error(`CLUSTER_NODES: unknown kind "${k}" (use cpp or node)`);
  }
  if (!list.length) throw new Error("CLUSTER_NODES is empty");
  return Array.from({ length: count }, (_, i) => list[i % list.length]);
}

function nodeCommand(kind) {
  if (kind === "node") {
    if (!existsSync(path.join(CLUSTER_DIR, "node_modules", "@socket.io", "redis-adapter"))) {
      throw new Error(`node nodes need the npm packages: run \`npm ci\` in ${CLUSTER_DIR}`);
    }
    return { command: process.execPath, args: [NODE_SERVER] };
  }
  if (kind === "cpp") {
    const binary = process.env.SOCKETIO_SERVER;
    if (!binary) throw new Error("cpp nodes need SOCKETIO_SERVER=/path/to/conformance_server");
    if (!existsSync(binary)) throw new Error(`SOCKETIO_SERVER=${binary}: no such file`);
    return { command: binary, args: [] };
  }
  throw new Error(`unknown node kind ${kind}`);
}

/** Starts one node of `kind` on a kernel-chosen port. */
export async function startNode(kind, { redisUrl, name, requestsTimeout, extraArgs = [] }) {
  const { command, args } = nodeCommand(kind);
  const fullArgs = [...args, "--redis", redisUrl, "--host", HOST, "--port", "0", "--name", name, ...HEARTBEAT_ARGS];
  if (requestsTimeout !== undefined) fullArgs.push("--requests-timeout", String(requestsTimeout));
  fullArgs.push(...extraArgs);
  const proc = await startProcess({
    command,
    args: fullArgs,
    label: `${kind} node ${name}`,
    ready: READY_LINE,
    readyTimeoutMs: 15000,
  });
  const port = Number(proc.match[2]);
  if (!port) {
    await proc.stop({ signal: "SIGKILL" });
    throw new Error(`${kind} node ${name} announced port ${proc.match[2]} (--port 0 must announce the real port)`);
  }
  return Object.assign(proc, { kind, name, port, url: `http://${HOST}:${port}` });
}

/** Starts a redis-server and one node per kind (named "<kind>-<i>"). */
export async function startCluster(kinds, { requestsTimeout, extraArgs } = {}) {
  const redis = await startRedis();
  const nodes = [];
  const stopAll = async () => {
    const results = await Promise.all(nodes.map((n) => n.stop()));
    if (process.env.CLUSTER_VERBOSE) {
      for (const n of nodes) {
        const { stdout, stderr } = n.output();
        console.log(`--- ${n.kind} node ${n.name} (pid ${n.pid}) ---\n${stdout}${stderr}`);
      }
    }
    await redis.stop();
    return results;
  };
  try {
    for (const [i, kind] of kinds.entries()) {
      nodes.push(await startNode(kind, { redisUrl: redis.url, name: `${kind}-${i}`, requestsTimeout, extraArgs }));
    }
  } catch (err) {
    await stopAll().catch(() => {});
    throw err;
  }
  return { redis, nodes, stop: stopAll };
}

/**
 * Stops every node (SIGTERM by PID, SIGKILL after 5 s) and asserts that each one was still
 * running and exited by itself with code 0.
 */
export async function stopNodesExpectingExit0(nodes) {
  const results = await Promise.all(nodes.map((n) => n.stop()));
  const problems = results
    .map((r, i) => ({ r, n: nodes[i] }))
    .filter(({ r }) => r.wasDead || r.killed || r.code !== 0)
    .map(({ r, n }) => `${n.kind} node ${n.name}: ${r.wasDead ? "had died before" : r.killed ? "did not exit within 5 s (killed)" : `exit code ${r.code}, signal ${r.signal}`}\n${n.output().stderr.slice(-2000)}`);
  assert.ok(problems.length === 0, problems.join("\n"));
}
