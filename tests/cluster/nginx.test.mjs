// Three cluster nodes behind nginx (kinds from CLUSTER_NODES, repeated to three: see
// lib/nodes.mjs), the deployment of examples/cluster/. Clients reach the nodes only through
// nginx, which keeps each client on one node by hashing its `node` query parameter
// (lib/nginx.mjs); polling must upgrade to WebSocket through the proxy.
//
//   CLUSTER_NODES=node,node,node node --test --test-reporter=../interop/reporter.mjs nginx.test.mjs

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ClientPool, expectOnce, uniqueToken, waitUntil } from "./lib/clients.mjs";
import { startNginx } from "./lib/nginx.mjs";
import { KIND_LABEL, clusterKinds, startCluster, stopNodesExpectingExit0 } from "./lib/nodes.mjs";

const kinds = clusterKinds(3);
const CLIENTS = 9;

describe(`cluster: nginx, three nodes (${kinds.map((k) => KIND_LABEL[k]).join(" + ")})`, () => {
  let cluster;
  let nodes;
  let lb;
  const pool = new ClientPool();
  let clients = [];

  before(async () => {
    cluster = await startCluster(kinds);
    nodes = cluster.nodes;
    lb = await startNginx(nodes.map((n) => n.port));
  });

  after(async () => {
    pool.closeAll();
    try {
      await lb?.stop();
    } finally {
      await cluster?.stop();
    }
  });

  const proxy = () => ({ url: lb.url, name: `nginx :${lb.port}` });

  test(`${CLIENTS} clients through nginx upgrade to websocket and are spread over the three nodes`, async () => {
    // Default transports: polling first, then the upgrade (both through nginx).
    clients = await Promise.all(
      Array.from({ length: CLIENTS }, (_, k) => pool.connect(proxy(), { transport: "upgrade", query: { node: String(k) } })),
    );
    for (const c of clients) {
      await waitUntil(() => c.socket.io.engine.transport.name === "websocket", {
        timeoutMs: 5000,
        what: `${c.label} to upgrade to websocket through nginx`,
      }).catch((err) => assert.fail(`${err.message}: transport is still ${c.socket.io.engine.transport.name}\n${lb.errorLog().slice(-2000)}`));
    }
    const names = await Promise.all(clients.map((c) => c.ack("whoami")));
    for (const [i, c] of clients.entries()) c.where = `${names[i]} via nginx`;
    assert.deepEqual([...new Set(names)].sort(), nodes.map((n) => n.name).sort(), `nodes reached: ${JSON.stringify(names)}`);
  });

  test(`to-room reaches all ${CLIENTS} members on the three nodes exactly once`, async () => {
    assert.equal(clients.length, CLIENTS, "needs the clients of the previous test");
    const room = uniqueToken("r");
    await Promise.all(clients.map((c) => c.ack("join", room)));
    const reply = await clients[0].ack("fetch", room);
    assert.deepEqual(reply.sockets?.map((s) => s.id).sort(), clients.map((c) => c.id).sort(), `fetch("${room}") = ${JSON.stringify(reply)}`);
    for (const sender of [clients[0], clients[4], clients[8]]) {
      const token = uniqueToken("lb");
      sender.emit("to-room", room, token, Buffer.from([1, 2]));
      await expectOnce({ targets: clients, event: "room-message", token });
    }
  });

  test("polling-only clients stay on one node through nginx (sticky sessions)", async () => {
    const polling = await Promise.all(
      [0, 1, 2].map((k) => pool.connect(proxy(), { transport: "polling", query: { node: `p${k}` } })),
    );
    for (const c of polling) {
      const first = await c.ack("whoami");
      for (let i = 0; i < 5; i++) {
        assert.equal(await c.ack("whoami"), first, `${c.label} moved between nodes`);
        assert.deepEqual(await c.ackAll("message-with-ack", i, "x"), [i, "x"]);
      }
      assert.equal(c.socket.connected, true);
      assert.deepEqual(c.disconnects, []);
    }
    const token = uniqueToken("poll");
    polling[0].emit("broadcast-all", token);
    await expectOnce({ targets: [...clients, ...polling], event: "broadcast", token });
  });

  test("every node exits 0 on SIGTERM", async () => {
    pool.closeAll();
    await stopNodesExpectingExit0(nodes);
  });
});
