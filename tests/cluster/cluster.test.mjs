// Two Socket.IO nodes sharing one Redis, each serving the conformance contract
// (shared/conformance-server.md) plus its cluster events (whoami, fetch, fetched-*,
// remote-join, server-side-emit, ...; node-server.mjs is their reference on Node): every
// operation, started from a client of either node, must reach every targeted client on
// BOTH nodes exactly once.
//
//   CLUSTER_NODES=node,node node --test --test-reporter=../interop/reporter.mjs cluster.test.mjs
//   CLUSTER_NODES=cpp,node SOCKETIO_SERVER=/path/to/conformance_server node --test ...
//
// CLUSTER_NODES picks the kinds of the two nodes (cpp or node); see lib/nodes.mjs.

import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import { ClientPool, expectOnce, normalizeBinary, sleep, uniqueToken, waitUntil } from "./lib/clients.mjs";
import { KIND_LABEL, clusterKinds, startCluster, stopNodesExpectingExit0 } from "./lib/nodes.mjs";

const kinds = clusterKinds(2);
const REQUESTS_TIMEOUT = 1000;

describe(`cluster: ${kinds.map((k) => KIND_LABEL[k]).join(" + ")}`, () => {
  let cluster;
  let nodes;
  const pool = new ClientPool();

  before(async () => {
    cluster = await startCluster(kinds, { requestsTimeout: REQUESTS_TIMEOUT });
    nodes = cluster.nodes;
  });

  afterEach(() => pool.closeAll());

  after(async () => {
    pool.closeAll();
    await cluster?.stop();
  });

  /** Clients on node `from` ("here") and on the other one ("there"): websocket, websocket, polling. */
  async function spread(from) {
    const here = nodes[from];
    const there = nodes[1 - from];
    const make = (node) =>
      Promise.all([
        pool.connect(node, { transport: "websocket" }),
        pool.connect(node, { transport: "websocket" }),
        pool.connect(node, { transport: "polling" }),
      ]);
    const [h, t] = await Promise.all([make(here), make(there)]);
    return { here, there, h, t, all: [...h, ...t] };
  }

  const join = (client, room) => client.ack("join", room);
  const ids = (clients) => clients.map((c) => c.id).sort();

  /** The ids fetch returns on `client`'s node (asserting the reply has no error). */
  async function fetchIds(client, room) {
    const reply = await client.ack("fetch", room);
    assert.ok(reply && Array.isArray(reply.sockets), `fetch(${room}) on ${client.where}: ${JSON.stringify(reply)}`);
    return reply.sockets.map((s) => s.id).sort();
  }

  /** Waits until fetch(room) from `client` returns exactly `expected` (ids, any order). */
  async function waitForRoom(client, room, expected, what) {
    const want = [...expected].sort();
    let got;
    try {
      await waitUntil(
        async () => {
          got = await fetchIds(client, room);
          return JSON.stringify(got) === JSON.stringify(want);
        },
        { timeoutMs: 5000, intervalMs: 50, what },
      );
    } catch (err) {
      throw new Error(`${err.message}: fetch("${room}") from ${client.where} = ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
    }
  }

  test("every node is up and answers whoami with its --name", async () => {
    for (const node of nodes) {
      const c = await pool.connect(node);
      assert.equal(await c.ack("whoami"), node.name, `whoami on ${node.kind} node ${node.url}`);
    }
  });

  test("server-count is 2 on both nodes", async () => {
    for (const node of nodes) {
      const c = await pool.connect(node);
      let n;
      try {
        await waitUntil(async () => (n = await c.ack("server-count")) === 2, { timeoutMs: 3000, what: "server-count 2" });
      } catch {
        assert.fail(`server-count on ${node.name}: expected 2, got ${JSON.stringify(n)}`);
      }
    }
  });

  for (const from of [0, 1]) {
    const fromLabel = () => nodes[from].name;

    describe(`from node ${from}`, () => {
      test("broadcast-all (io.emit) reaches every client of both nodes once", async () => {
        const { h, all } = await spread(from);
        const token = uniqueToken("all");
        h[0].emit("broadcast-all", token, { from: fromLabel() });
        const got = await expectOnce({ targets: all, event: "broadcast", token });
        for (const args of got) assert.deepEqual(args, [token, { from: fromLabel() }]);
      });

      test("broadcast (socket.broadcast.emit) reaches everyone but the sender, once", async () => {
        const { h, all } = await spread(from);
        const token = uniqueToken("bc");
        h[0].emit("broadcast", token);
        await expectOnce({ targets: all.slice(1), others: [h[0]], event: "broadcast", token });
      });

      test("to-room reaches the room's members on both nodes once, and no one else", async () => {
        const { h, t } = await spread(from);
        const room = uniqueToken("room");
        const members = [h[1], h[2], t[0], t[2]];
        await Promise.all(members.map((c) => join(c, room)));
        const token = uniqueToken("tr");
        h[0].emit("to-room", room, token, 42, "x");
        const got = await expectOnce({ targets: members, others: [h[0], t[1]], event: "room-message", token });
        for (const args of got) assert.deepEqual(args, [token, 42, "x"]);
      });

      test("to-room-except-me skips the sender, reaches the other members once", async () => {
        const { h, t } = await spread(from);
        const room = uniqueToken("room");
        const members = [h[0], h[2], t[1], t[2]];
        await Promise.all(members.map((c) => join(c, room)));
        const token = uniqueToken("trx");
        h[0].emit("to-room-except-me", room, token);
        await expectOnce({ targets: members.slice(1), others: [h[0], h[1], t[0]], event: "room-message", token });
      });

      test("broadcast-except reaches everyone outside the room once", async () => {
        const { h, t } = await spread(from);
        const room = uniqueToken("room");
        const excluded = [h[1], t[0], t[2]];
        await Promise.all(excluded.map((c) => join(c, room)));
        const token = uniqueToken("be");
        h[0].emit("broadcast-except", room, token);
        await expectOnce({ targets: [h[0], h[2], t[1]], others: excluded, event: "broadcast", token });
      });

      test("volatile-all reaches every idle websocket client of both nodes once", async () => {
        const { h, t } = await spread(from);
        const ws = [h[0], h[1], t[0], t[1]];
        await sleep(100); // idle transports: nothing in flight, so nothing volatile is dropped
        const token = uniqueToken("vol");
        h[0].emit("volatile-all", token);
        await expectOnce({ targets: ws, event: "broadcast", token });
        for (const c of [h[2], t[2]]) {
          assert.ok(c.received("broadcast", (a) => a[0] === token).length <= 1, `${c.label} got a volatile packet twice`);
        }
      });

      test("binary payloads (Buffers, nested) cross the cluster intact", async () => {
        const { h, t, all } = await spread(from);
        const token = uniqueToken("bin");
        const payload = [
          Buffer.from([0, 1, 2, 253, 254, 255]),
          { nested: { buf: Buffer.from("héllo"), list: [Buffer.alloc(0), "text", { deep: Buffer.from([7]) }] } },
          [Buffer.from([9, 9])],
        ];
        h[2].emit("broadcast-all", token, ...payload); // from a polling client
        const got = await expectOnce({ targets: all, event: "broadcast", token });
        for (const [i, args] of got.entries()) {
          assert.deepEqual(normalizeBinary(args), [token, ...payload], `payload as ${all[i].label} got it`);
        }
        // and into a room, from a websocket client
        const room = uniqueToken("room");
        await Promise.all([join(t[0], room), join(t[2], room), join(h[1], room)]);
        const token2 = uniqueToken("bin");
        h[0].emit("to-room", room, token2, Buffer.from([1, 2, 3]), { b: Buffer.from([4]) });
        const got2 = await expectOnce({ targets: [t[0], t[2], h[1]], others: [h[0], t[1]], event: "room-message", token: token2 });
        for (const args of got2) {
          assert.deepEqual(normalizeBinary(args), [token2, Buffer.from([1, 2, 3]), { b: Buffer.from([4]) }]);
        }
      });

      test("fetch of all sockets: ids, sorted rooms and data of both nodes", async () => {
        const { h, t, all } = await spread(from);
        const room = uniqueToken("room");
        await join(t[1], room);
        await join(h[2], room);
        const value = { n: 1, s: "on the other node", list: [true, null] };
        await t[1].ack("set-data", value);
        assert.deepEqual(await t[1].ack("get-data"), value, "get-data on the node that holds the socket");
        await h[2].ack("set-data", "here");
        const reply = await h[0].ack("fetch", null);
        assert.ok(reply && Array.isArray(reply.sockets), `fetch(null) replied ${JSON.stringify(reply)}`);
        // Every mismatch at once (Node's socket.data starts as {}, and crosses as JSON).
        const problems = [];
        const byId = new Map();
        for (const s of reply.sockets) {
          if (byId.has(s.id)) problems.push(`socket ${s.id} listed twice`);
          byId.set(s.id, s);
        }
        const json = (v) => JSON.stringify(v);
        for (const c of all) {
          const s = byId.get(c.id);
          if (!s) {
            problems.push(`missing: ${c.label}`);
            continue;
          }
          const rooms = c === t[1] || c === h[2] ? [c.id, room].sort() : [c.id];
          if (json(s.rooms) !== json(rooms)) problems.push(`rooms of ${c.label}: got ${json(s.rooms)}, expected ${json(rooms)}`);
          const data = c === t[1] ? { value } : c === h[2] ? { value: "here" } : {};
          if (json(s.data) !== json(data)) problems.push(`data of ${c.label}: got ${json(s.data)}, expected ${json(data)}`);
        }
        assert.ok(problems.length === 0, `fetch(null) from ${fromLabel()}:\n${problems.join("\n")}`);
      });

      test("fetch of a room lists exactly its members on both nodes", async () => {
        const { h, t } = await spread(from);
        const room = uniqueToken("room");
        const members = [h[0], t[1], t[2]];
        await Promise.all(members.map((c) => join(c, room)));
        assert.deepEqual(await fetchIds(h[1], room), ids(members));
        assert.deepEqual(await fetchIds(h[1], uniqueToken("empty")), []);
      });

      test("count and room-size count both nodes", async () => {
        const { h, t, all } = await spread(from);
        const room = uniqueToken("room");
        await Promise.all([join(h[1], room), join(t[0], room), join(t[2], room)]);
        assert.equal(await h[0].ack("room-size", room), 3);
        // Clients of earlier tests may still be leaving: wait for the count to settle.
        let count;
        await waitUntil(async () => (count = await h[0].ack("count")) === all.length, {
          timeoutMs: 5000,
          what: `count = ${all.length}`,
        }).catch(() => assert.fail(`count from ${fromLabel()}: expected ${all.length}, got ${count}`));
      });

      test("fetched-emit reaches a socket of the other node once", async () => {
        const { h, t } = await spread(from);
        const token = uniqueToken("fe");
        const n = await h[0].ack("fetched-emit", t[2].id, token, { k: [1, 2] }, Buffer.from([5, 6]));
        assert.equal(n, 1, "fetched-emit ack (number of sockets fetched)");
        const [args] = await expectOnce({ targets: [t[2]], others: [h[0], h[1], h[2], t[0], t[1]], event: "room-message", token });
        assert.deepEqual(normalizeBinary(args), [token, { k: [1, 2] }, Buffer.from([5, 6])]);
      });

      test("fetched-join / fetched-leave move a socket of the other node", async () => {
        const { h, t } = await spread(from);
        const room = uniqueToken("room");
        assert.equal(await h[0].ack("fetched-join", t[0].id, room), 1, "fetched-join ack");
        await waitForRoom(h[1], room, [t[0].id], "fetched-join to take effect");
        const token = uniqueToken("fj");
        h[1].emit("to-room", room, token);
        await expectOnce({ targets: [t[0]], others: [h[0], h[1], h[2], t[1], t[2]], event: "room-message", token });

        assert.equal(await h[0].ack("fetched-leave", t[0].id, room), 1, "fetched-leave ack");
        await waitForRoom(h[1], room, [], "fetched-leave to take effect");
        const token2 = uniqueToken("fl");
        t[1].emit("to-room", room, token2);
        await sleep(300);
        assert.equal(t[0].received("room-message", (a) => a[0] === token2).length, 0, "left the room, still got to-room");
      });

      test("fetched-disconnect disconnects a socket of the other node only", async () => {
        const { h, t } = await spread(from);
        const targetId = t[1].id;
        const gone = t[1].waitForDisconnect(5000);
        assert.equal(await h[0].ack("fetched-disconnect", targetId), 1, "fetched-disconnect ack");
        assert.equal(await gone, "io server disconnect");
        for (const c of h) assert.equal(await c.ack("whoami"), nodes[from].name);
        for (const c of [t[0], t[2]]) assert.equal(await c.ack("whoami"), nodes[1 - from].name);
        await waitForRoom(h[0], targetId, [], "the disconnected socket to be gone from fetch");
      });

      test("fetched-* on an unknown id ack 0", async () => {
        const { h } = await spread(from);
        assert.equal(await h[0].ack("fetched-emit", "no-such-socket", "x"), 0);
        assert.equal(await h[0].ack("fetched-join", "no-such-socket", "r"), 0);
        assert.equal(await h[0].ack("fetched-disconnect", "no-such-socket"), 0);
      });

      test("remote-join / remote-leave by socket id and by room span both nodes", async () => {
        const { h, t } = await spread(from);
        const dst = uniqueToken("dst");
        // one socket of the other node, by its id
        assert.deepEqual(await h[0].ackAll("remote-join", t[2].id, dst), [], "remote-join acks with no argument");
        await waitForRoom(h[0], dst, [t[2].id], "remote-join by id");
        // every member of a room spanning both nodes
        const src = uniqueToken("src");
        await Promise.all([join(h[1], src), join(t[0], src)]);
        await h[0].ack("remote-join", src, dst);
        await waitForRoom(h[0], dst, [t[2].id, h[1].id, t[0].id], "remote-join by room");
        const token = uniqueToken("rj");
        t[1].emit("to-room", dst, token);
        await expectOnce({ targets: [t[2], h[1], t[0]], others: [h[0], h[2], t[1]], event: "room-message", token });

        await h[0].ack("remote-leave", src, dst);
        await waitForRoom(h[0], dst, [t[2].id], "remote-leave by room");
        await h[0].ack("remote-leave", t[2].id, dst);
        await waitForRoom(h[0], dst, [], "remote-leave by id");
      });

      test("disconnect-room disconnects the room's members on both nodes, no one else", async () => {
        const { h, t } = await spread(from);
        const room = uniqueToken("room");
        const members = [h[1], t[0], t[2]];
        await Promise.all(members.map((c) => join(c, room)));
        const gone = members.map((c) => c.waitForDisconnect(5000));
        h[0].emit("disconnect-room", room);
        for (const [i, p] of gone.entries()) assert.equal(await p, "io server disconnect", `reason on ${members[i].label}`);
        await sleep(200);
        for (const c of [h[0], h[2], t[1]]) {
          assert.equal(c.socket.connected, true, `${c.label} was disconnected too`);
          await c.ack("whoami");
        }
      });

      test("server-side-emit is delivered by the other node, not by the emitter", async () => {
        const { h, t, here, there } = await spread(from);
        const token = uniqueToken("sse");
        h[0].emit("server-side-emit", token, { n: 1 }, [2, "three"]);
        const got = await expectOnce({
          targets: t,
          others: h,
          event: "sse",
          match: (args) => args[2] === token,
        });
        for (const args of got) assert.deepEqual(args, [there.name, here.name, token, { n: 1 }, [2, "three"]]);
      });

      test("server-side-emit-with-ack gets the other node's reply", async () => {
        const { h, there } = await spread(from);
        assert.deepEqual(await h[1].ack("server-side-emit-with-ack"), { replies: [there.name] });
      });

      test("all-rooms is the union of both nodes' rooms", async () => {
        const { h, t } = await spread(from);
        const roomHere = uniqueToken("rh");
        const roomThere = uniqueToken("rt");
        const roomBoth = uniqueToken("rb");
        await Promise.all([join(h[0], roomHere), join(t[1], roomThere), join(h[2], roomBoth), join(t[2], roomBoth)]);
        const rooms = await h[1].ack("all-rooms");
        assert.ok(Array.isArray(rooms), `all-rooms replied ${JSON.stringify(rooms)}`);
        assert.deepEqual(rooms, [...rooms].sort(), "all-rooms is sorted");
        assert.equal(new Set(rooms).size, rooms.length, `all-rooms has duplicates: ${JSON.stringify(rooms)}`);
        for (const r of [roomHere, roomThere, roomBoth, ...h.map((c) => c.id), ...t.map((c) => c.id)]) {
          assert.ok(rooms.includes(r), `all-rooms from ${fromLabel()} misses ${r}: ${JSON.stringify(rooms)}`);
        }
      });

      test("ask-room: one client per node answers: 2 replies, not timed out", async () => {
        const { h, t } = await spread(from);
        const room = uniqueToken("room");
        for (const c of [h[1], t[2]]) {
          await join(c, room);
          c.socket.on("question", (ack) => ack(`answer from ${c.id}`));
        }
        const reply = await h[0].ack("ask-room", room);
        assert.equal(reply.timedOut, false, `ask-room replied ${JSON.stringify(reply)}`);
        assert.deepEqual([...reply.replies].sort(), [`answer from ${h[1].id}`, `answer from ${t[2].id}`].sort());
      });

      test("ask-room: a silent client on the other node: timedOut, 1 reply", async () => {
        const { h, t } = await spread(from);
        const room = uniqueToken("room");
        await Promise.all([join(h[1], room), join(t[0], room)]);
        h[1].socket.on("question", (ack) => ack("here"));
        // t[0] gets the question and says nothing
        const started = Date.now();
        const reply = await h[0].ack("ask-room", room);
        const elapsed = Date.now() - started;
        assert.deepEqual(reply, { timedOut: true, replies: ["here"] }, `ask-room replied ${JSON.stringify(reply)}`);
        assert.ok(elapsed >= 900 && elapsed < 4000, `ask-room answered after ${elapsed} ms (timeout 1000 ms)`);
        assert.equal(t[0].received("question").length, 1, `${t[0].label} got the question ${t[0].received("question").length} times`);
      });
    });
  }

  for (const stopped of [1, 0]) {
    test(`a stopped node (SIGSTOP node ${stopped}): fetch on the other errors within ~1.5 s, which keeps serving`, async () => {
      const alive = nodes[1 - stopped];
      const dead = nodes[stopped];
      const a = await pool.connect(alive, { transport: "websocket" });
      const b = await pool.connect(alive, { transport: "polling" });
      const d = await pool.connect(dead, { transport: "websocket" });
      const room = uniqueToken("room");
      await Promise.all([join(a, room), join(b, room)]);
      dead.signal("SIGSTOP");
      try {
        const started = Date.now();
        const reply = await a.ack("fetch", null);
        const elapsed = Date.now() - started;
        assert.ok(reply && typeof reply.error === "string" && reply.error.length > 0, `fetch with ${dead.name} stopped replied ${JSON.stringify(reply)}`);
        assert.ok(!("sockets" in reply), `an error reply carries sockets: ${JSON.stringify(reply)}`);
        assert.ok(elapsed >= REQUESTS_TIMEOUT - 100 && elapsed < 2500, `fetch error after ${elapsed} ms (requests timeout ${REQUESTS_TIMEOUT} ms)`);
        // still serving: acks, local room delivery
        assert.equal(await b.ack("whoami"), alive.name);
        const token = uniqueToken("alive");
        b.emit("to-room", room, token);
        await expectOnce({ targets: [a, b], event: "room-message", token });
      } finally {
        dead.signal("SIGCONT");
      }
      // and the cluster recovers
      await waitUntil(async () => JSON.stringify(await a.ack("server-side-emit-with-ack")) === JSON.stringify({ replies: [dead.name] }), {
        timeoutMs: 8000,
        what: `${dead.name} to answer again after SIGCONT`,
      });
      assert.equal(await d.ack("whoami"), dead.name);
      const reply = await a.ack("fetch", null);
      assert.ok(reply.sockets?.some((s) => s.id === d.id), `after SIGCONT, fetch misses ${d.label}: ${JSON.stringify(reply)}`);
    });
  }

  test("every node exits 0 on SIGTERM", async () => {
    pool.closeAll();
    await stopNodesExpectingExit0(nodes);
  });
});
