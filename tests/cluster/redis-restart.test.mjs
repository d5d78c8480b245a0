// A Redis outage under a two-node cluster (kinds from CLUSTER_NODES, see lib/nodes.mjs):
// redis-server is SIGKILLed while clients are connected. Each node must keep serving its
// own clients (to-room inside one node) and must not crash; once Redis is back on the same
// port, broadcasts must cross nodes again within ~10 s, exactly once.
//
//   CLUSTER_NODES=node,node node --test --test-reporter=../interop/reporter.mjs redis-restart.test.mjs

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ClientPool, expectOnce, sleep, uniqueToken, waitUntil } from "./lib/clients.mjs";
import { KIND_LABEL, clusterKinds, startCluster, stopNodesExpectingExit0 } from "./lib/nodes.mjs";

const kinds = clusterKinds(2);
const RECOVERY_MS = 10000;

describe(`cluster: Redis restart (${kinds.map((k) => KIND_LABEL[k]).join(" + ")})`, () => {
  let cluster;
  let nodes;
  const pool = new ClientPool();
  // per node: [websocket, polling]
  const clients = [];
  const all = () => clients.flat();

  before(async () => {
    cluster = await startCluster(kinds);
    nodes = cluster.nodes;
    for (const node of nodes) {
      clients.push([await pool.connect(node, { transport: "websocket" }), await pool.connect(node, { transport: "polling" })]);
    }
    for (const [i, pair] of clients.entries()) {
      for (const c of pair) await c.ack("join", `local-${i}`);
    }
  });

  after(async () => {
    pool.closeAll();
    await cluster?.stop();
  });

  const assertNodesAlive = () => {
    for (const n of nodes) {
      assert.ok(n.alive, `${n.kind} node ${n.name} died: ${JSON.stringify(n.exitStatus)}\n${n.output().stderr.slice(-2000)}`);
    }
  };

  test("with Redis up, broadcast-all crosses nodes", async () => {
    for (const [i] of nodes.entries()) {
      const token = uniqueToken("before");
      clients[i][0].emit("broadcast-all", token);
      await expectOnce({ targets: all(), event: "broadcast", token });
    }
  });

  test("Redis SIGKILLed: each node still delivers to-room to its own clients, and none crashes", async () => {
    await cluster.redis.kill();
    await sleep(500); // let the nodes notice the closed connections
    for (const [i, pair] of clients.entries()) {
      for (const sender of pair) {
        const token = uniqueToken("down");
        sender.emit("to-room", `local-${i}`, token);
        await expectOnce({ targets: pair, event: "room-message", token, timeoutMs: 3000 });
      }
      for (const c of pair) assert.equal(await c.ack("whoami"), nodes[i].name, `whoami on ${c.label} while Redis is down`);
      assert.equal(await pair[0].ack("message-with-ack", "still", 1), "still");
    }
    await sleep(1000);
    assertNodesAlive();
    for (const c of all()) assert.ok(c.socket.connected, `${c.label} lost its connection during the outage`);
  });

  test(`Redis back on the same port: broadcasts cross nodes again within ${RECOVERY_MS / 1000} s, exactly once`, async () => {
    await cluster.redis.restart();
    const restarted = Date.now();
    // Each node's client keeps broadcasting until the other node's client hears it.
    const crossed = async (from, to) => {
      const sent = new Set();
      await waitUntil(
        () => {
          if (clients[to][0].events.some((e) => e.event === "broadcast" && sent.has(e.args[0]))) return true;
          const token = uniqueToken(`probe-${from}`);
          sent.add(token);
          clients[from][0].emit("broadcast-all", token);
          return false;
        },
        { timeoutMs: RECOVERY_MS, intervalMs: 250, what: `a broadcast-all from ${nodes[from].name} to reach ${nodes[to].name} after the Redis restart` },
      );
      return Date.now() - restarted;
    };
    const [ms01, ms10] = await Promise.all([crossed(0, 1), crossed(1, 0)]);
    console.log(`cross-node broadcasts again after ${ms01} ms (0 -> 1) and ${ms10} ms (1 -> 0)`);

    await sleep(300); // probes still in flight
    for (const [i, pair] of clients.entries()) {
      const token = uniqueToken("after");
      pair[1].emit("broadcast-all", token);
      await expectOnce({ targets: all(), event: "broadcast", token });
      // rooms across nodes again, from both sides
      const token2 = uniqueToken("after-room");
      pair[0].emit("to-room", `local-${1 - i}`, token2);
      await expectOnce({ targets: clients[1 - i], others: pair, event: "room-message", token: token2 });
    }
    for (const [i] of nodes.entries()) {
      let n;
      await waitUntil(async () => (n = await clients[i][0].ack("server-count")) === 2, { timeoutMs: 5000, what: "server-count 2" }).catch(() =>
        assert.fail(`server-count on ${nodes[i].name} after the restart: expected 2, got ${n}`),
      );
      const reply = await clients[i][0].ack("server-side-emit-with-ack");
      assert.deepEqual(reply, { replies: [nodes[1 - i].name] }, `server-side-emit-with-ack from ${nodes[i].name}`);
    }
    assertNodesAlive();
  });

  test("every node exits 0 on SIGTERM", async () => {
    pool.closeAll();
    await stopNodesExpectingExit0(nodes);
  });
});
