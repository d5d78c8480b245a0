// Interoperability of the Socket.IO layer with the official npm `socket.io-client` 4.8,
// against `conformance_server` with its default flags (ping 300/200, connect timeout
// 1000): every row of shared/conformance-server.md, over WebSocket only, polling only and
// the default (polling upgraded to WebSocket).
//
//   SOCKETIO_SERVER=/path/to/conformance_server node --test --test-reporter=./reporter.mjs socketio.test.mjs
//   SOCKETIO_REFERENCE=node node --test --test-reporter=./reporter.mjs socketio.test.mjs
//
// Every expected value below was checked against Node's socket.io 4.8 running the same
// contract (benchmarks/node-reference/conformance-server.mjs): where they differ, Node is
// the reference.

import { after, afterEach, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { io as ioClient, Manager } from "socket.io-client";
import { NodeWebSocket, NodeXHR } from "engine.io-client";
import { startServer } from "./lib/server.mjs";

const TEST_TIMEOUT = 20000;
const SERVER_ACK_TIMEOUT = 1000; // the contract's `timeout(1000)` for ask / ask-room

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  closeAll();
  if (server) {
    await server.stop();
  }
});

// ---------------------------------------------------------------------------------------
// helpers

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const MODES = [
  { name: "websocket", transports: ["websocket"], expectedTransport: "websocket" },
  { name: "polling", transports: ["polling"], expectedTransport: "polling" },
  {
    name: "default (polling upgraded to websocket)",
    transports: undefined, // socket.io-client's default: polling first, then upgrade
    upgrade: true,
    expectedTransport: "websocket",
  },
];
const WEBSOCKET = MODES[0];

const openClients = new Set();

/**
 * Records every incoming event of `socket` (from before it connects, so that events the
 * server emits on connection are never missed) in one queue per event name.
 */
function record(socket) {
  const queues = new Map(); // event -> { items: [args], waiters: [resolve] }
  const queue = (event) => {
    let q = queues.get(event);
    if (!q) {
      q = { items: [], waiters: [] };
      queues.set(event, q);
    }
    return q;
  };
  socket.onAny((event, ...args) => {
    const q = queue(event);
    const waiter = q.waiters.shift();
    if (waiter) waiter(args);
    else q.items.push(args);
  });
  socket.on("disconnect", (reason) => {
    socket.__disconnectReason = reason;
  });
  socket.__queue = queue;
  return socket;
}

/** The args of the next (not yet taken) `event` received by `socket`. */
function next(socket, event, ms = 5000) {
  const q = socket.__queue(event);
  if (q.items.length) return Promise.resolve(q.items.shift());
  let resolveFn;
  const p = new Promise((resolve) => {
    resolveFn = resolve;
    q.waiters.push(resolve);
  });
  return withTimeout(p, ms, `event "${event}"`).catch((err) => {
    const i = q.waiters.indexOf(resolveFn);
    if (i >= 0) q.waiters.splice(i, 1);
    err.message += socket.connected
      ? ` (still connected over ${socket.io.engine?.transport?.name})`
      : ` (disconnected: ${socket.__disconnectReason})`;
    throw err;
  });
}

/** Events named `event` received and not yet taken. */
function pending(socket, event) {
  return socket.__queue(event).items;
}

/** Options for io() in a given transport mode. */
function clientOptions(mode, extra = {}) {
  const opts = { forceNew: true, reconnection: false, timeout: 5000, ...extra };
  if (mode.transports) opts.transports = mode.transports;
  return opts;
}

function track(socket) {
  openClients.add(socket);
  return socket;
}

async function waitUpgrade(socket, mode) {
  const engine = socket.io.engine;
  if (mode.upgrade && engine.transport.name !== "websocket") {
    await withTimeout(
      new Promise((resolve, reject) => {
        engine.once("upgrade", resolve);
        engine.once("upgradeError", (err) => reject(new Error(`upgrade error: ${err?.message ?? err}`)));
      }),
      5000,
      "the upgrade to websocket",
    );
  }
  assert.equal(engine.transport.name, mode.expectedTransport, `transport in use (${mode.name})`);
}

function waitConnect(socket, what) {
  if (socket.connected) return Promise.resolve();
  return withTimeout(
    new Promise((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("connect_error", (err) => reject(new Error(`connect_error on ${what}: ${err.message}`)));
    }),
    5000,
    `connect to ${what}`,
  );
}

/** A connected socket.io-client socket on namespace `nsp` (own Manager), upgraded if the mode says so. */
async function connect(mode, nsp = "/", extra = {}) {
  const socket = track(record(ioClient(server.url + nsp, clientOptions(mode, extra))));
  await waitConnect(socket, nsp);
  await waitUpgrade(socket, mode);
  return socket;
}

function connectMany(mode, n, nsp = "/", extra = {}) {
  return Promise.all(Array.from({ length: n }, () => connect(mode, nsp, extra)));
}

/** The connect_error a connection attempt to `nsp` ends with (fails if it connects). */
async function connectError(mode, nsp, extra = {}) {
  const socket = track(record(ioClient(server.url + nsp, clientOptions(mode, extra))));
  return withTimeout(
    new Promise((resolve, reject) => {
      socket.once("connect", () => reject(new Error(`${nsp} connected, expected a connect_error`)));
      socket.once("connect_error", resolve);
    }),
    5000,
    `connect_error on ${nsp}`,
  );
}

/** Emits `event` with `args` and an ack callback; resolves to the ack's arguments. */
function emitAck(socket, event, ...args) {
  return new Promise((resolve, reject) => {
    socket.timeout(5000).emit(event, ...args, (err, ...reply) => {
      if (err) {
        const why = socket.__disconnectReason ? `, disconnected: ${socket.__disconnectReason}` : "";
        reject(new Error(`no ack for "${event}" within 5000 ms (${err.message}${why})`));
      } else {
        resolve(reply);
      }
    });
  });
}

/**
 * After this, every packet the server sent to these sockets before (as a result of what
 * was sent to it before) has arrived: a round trip per socket, one after the other.
 */
async function barrier(...sockets) {
  for (const socket of sockets) {
    await emitAck(socket, "message-with-ack", "barrier");
  }
}

function waitDisconnect(socket, ms = 5000) {
  if (socket.__disconnectReason) return Promise.resolve(socket.__disconnectReason);
  return withTimeout(
    new Promise((resolve) => socket.once("disconnect", (reason) => resolve(reason))),
    ms,
    "disconnect",
  );
}

async function count(socket) {
  const [n] = await emitAck(socket, "count");
  return n;
}

/** Polls `count` from `socket` until it is `expected` (the server notices closes asynchronously). */
async function waitCount(socket, expected, ms = 5000) {
  const deadline = Date.now() + ms;
  let n;
  for (;;) {
    n = await count(socket);
    if (n === expected) return n;
    if (Date.now() > deadline) {
      assert.fail(`count stayed ${n}, expected ${expected} within ${ms} ms`);
    }
    await sleep(50);
  }
}

function closeAll() {
  for (const socket of openClients) {
    socket.disconnect();
    socket.io.disconnect(); // the Manager (and its engine), also after a connect_error
  }
  openClients.clear();
}

/** Deep copy in which every Buffer / typed array / ArrayBuffer is a Buffer (what arrives in Node). */
function normalize(value) {
  if (Buffer.isBuffer(value)) return Buffer.from(value);
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  if (ArrayBuffer.isView(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (Array.isArray(value)) return value.map(normalize);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v)]));
  }
  return value;
}

/** Asserts that `received` (what arrived) is `sent`, binary as binary (a Buffer in Node). */
function assertSameArgs(received, sent, what) {
  assert.deepEqual(normalize(received), normalize(sent), what);
  // normalize() would hide a typed array arriving as something else than a Buffer: check.
  const walk = (r, s, where) => {
    if (s instanceof ArrayBuffer || ArrayBuffer.isView(s)) {
      assert.ok(Buffer.isBuffer(r), `${what}: binary at ${where} arrived as ${Object.prototype.toString.call(r)}`);
    } else if (Array.isArray(s)) {
      s.forEach((v, i) => walk(r[i], v, `${where}[${i}]`));
    } else if (s && typeof s === "object") {
      for (const k of Object.keys(s)) walk(r[k], s[k], `${where}.${k}`);
    }
  };
  walk(received, sent, "args");
}

function bytes(length, seed = 1) {
  const buf = Buffer.allocUnsafe(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    buf[i] = x >>> 16;
  }
  return buf;
}

function nested(depth) {
  let v = { leaf: true };
  for (let i = 0; i < depth; i++) v = i % 2 ? { d: v } : [v];
  return v;
}

// Argument lists echoed by `message` / `message-with-ack`. The JSON ones are chosen so
// that JSON.parse(JSON.stringify(x)) is x (what Node's socket.io gives back).
const JSON_ARGS = [
  ["no arguments", []],
  ["a string", ["hello"]],
  ["several scalars", ["text", 42, -7, 3.5, true, false, null, ""]],
  ["UTF-8 and escapes", ["héllo wörld ✓ 🌍 \u{10FFFF}", 'quote " backslash \\ newline \n tab \t nul \u0000 ls \u2028 \u001e']],
  ["text that looks like packets", ['2["message"]', "451-[]", "0{}", '{"_placeholder":true,"num":0}']],
  [
    "numbers",
    [0.1 + 0.2, 1e21, 1e-7, 5e-324, 1.7976931348623157e308, 2 ** 53 - 1, -(2 ** 53) + 1, 2 ** 64, -(2 ** 63), 123456789012]
  ],
  ["objects and arrays", [{ a: 1, b: [1, "2", { c: null }], "key with spaces": { "": "empty key" } }, [[], {}, [[1]]]]],
  ["an object that looks like a placeholder", [{ _placeholder: true, num: 0 }]],
  ["deep nesting (60 levels)", [nested(60)]],
  ["a 100 KB string", ["x".repeat(100 * 1024)]],
];

const BINARY_ARGS = [
  ["a Buffer", [Buffer.from([1, 2, 3, 0, 255])]],
  ["a Uint8Array", [new Uint8Array([0, 0x34, 0xff, 0x1e])]],
  ["an ArrayBuffer", [new Uint8Array([9, 8, 7]).buffer]],
  ["an empty Buffer", [Buffer.alloc(0)]],
  ["several buffers as arguments", [Buffer.from("one"), "between", Buffer.from("two"), new Uint8Array([3])]],
  [
    "buffers nested in objects and arrays",
    [{ file: Buffer.from("data"), meta: { name: "f", parts: [Buffer.from([1]), 2, { deep: new Uint8Array([3, 4]) }] } }, [Buffer.from([5]), [Buffer.from([6])]]],
  ],
  ["the same Buffer twice", (() => { const b = Buffer.from("same"); return [b, { again: b }]; })()],
  ["a 200 KB Buffer", [bytes(200 * 1024, 3)]],
  // 10 is the most socket.io-parser 4.2 accepts in one packet (its maxAttachments)
  ["10 buffers in one event", [Array.from({ length: 9 }, (_, i) => ({ i, b: Buffer.from([i, 255 - i]) })), Buffer.from("tenth")]],
];

// ---------------------------------------------------------------------------------------
// every row of the contract, over each transport setup

for (const mode of MODES) {
  describe(`socket.io-client over ${mode.name}`, { timeout: 60000 }, () => {
    afterEach(closeAll);

    test("connects with the expected transport; socket id differs from the engine id", { timeout: TEST_TIMEOUT }, async () => {
      const socket = await connect(mode);
      assert.equal(typeof socket.id, "string");
      assert.ok(socket.id.length > 0);
      assert.equal(typeof socket.io.engine.id, "string");
      assert.notEqual(socket.id, socket.io.engine.id, "socket id must not be the engine id");
      const other = await connect(mode);
      assert.notEqual(other.id, socket.id);
      assert.notEqual(other.io.engine.id, socket.io.engine.id);
    });

    test("an idle connection stays up through several 300 ms heartbeats", { timeout: TEST_TIMEOUT }, async () => {
      const socket = await connect(mode);
      let pings = 0;
      socket.io.engine.on("ping", () => pings++);
      await sleep(1600);
      assert.ok(socket.connected, `disconnected: ${socket.__disconnectReason}`);
      assert.ok(pings >= 2 && pings <= 7, `${pings} pings in 1.6 s (ping interval 300 ms)`);
      assert.deepEqual(await emitAck(socket, "message-with-ack", "awake"), ["awake"]);
    });

    test("auth event on connection echoes handshake auth ({} without auth)", { timeout: TEST_TIMEOUT }, async () => {
      const plain = await connect(mode);
      assert.deepEqual(await next(plain, "auth"), [{}]);

      const auth = { token: "abc", user: { name: "é 🌍", n: 1, tags: ["a", null] }, flag: true };
      const withAuth = await connect(mode, "/", { auth });
      assert.deepEqual(await next(withAuth, "auth"), [auth]);
    });

    test("/custom: auth echoed, message echoed", { timeout: TEST_TIMEOUT }, async () => {
      const plain = await connect(mode, "/custom");
      assert.deepEqual(await next(plain, "auth"), [{}]);
      const withAuth = await connect(mode, "/custom", { auth: { token: "t", n: 2 } });
      assert.deepEqual(await next(withAuth, "auth"), [{ token: "t", n: 2 }]);

      const args = ["hi", { n: 1 }, Buffer.from([1, 2])];
      plain.emit("message", ...args);
      assertSameArgs(await next(plain, "message-back"), args, "/custom message-back");
    });

    test("message -> message-back, JSON arguments", { timeout: TEST_TIMEOUT }, async () => {
      const socket = await connect(mode);
      for (const [what, args] of JSON_ARGS) {
        socket.emit("message", ...args);
        assertSameArgs(await next(socket, "message-back"), args, what);
      }
    });

    test("message -> message-back, binary arguments", { timeout: TEST_TIMEOUT }, async () => {
      const socket = await connect(mode);
      for (const [what, args] of BINARY_ARGS) {
        socket.emit("message", ...args);
        assertSameArgs(await next(socket, "message-back"), args, what);
      }
    });

    test("message-with-ack acks the same arguments (JSON and binary)", { timeout: TEST_TIMEOUT }, async () => {
      const socket = await connect(mode);
      for (const [what, args] of [...JSON_ARGS, ...BINARY_ARGS]) {
        assertSameArgs(await emitAck(socket, "message-with-ack", ...args), args, what);
      }
      // many acks in flight at once, each answered once with its own arguments
      const replies = await Promise.all(
        Array.from({ length: 50 }, (_, i) => emitAck(socket, "message-with-ack", i, i % 5 ? `n${i}` : Buffer.from([i]))),
      );
      replies.forEach((reply, i) => assertSameArgs(reply, [i, i % 5 ? `n${i}` : Buffer.from([i])], `ack #${i}`));
    });

    test("join / leave ack the rooms (with the socket's own id)", { timeout: TEST_TIMEOUT }, async () => {
      const socket = await connect(mode);
      const sorted = (list) => [...list].sort();
      const [afterJoin] = await emitAck(socket, "join", "room-a");
      assert.ok(Array.isArray(afterJoin), `join acked ${JSON.stringify(afterJoin)}`);
      assert.deepEqual(sorted(afterJoin), sorted([socket.id, "room-a"]));
      const [afterJoin2] = await emitAck(socket, "join", "room-b");
      assert.deepEqual(sorted(afterJoin2), sorted([socket.id, "room-a", "room-b"]));
      const [again] = await emitAck(socket, "join", "room-a"); // joining twice changes nothing
      assert.deepEqual(sorted(again), sorted([socket.id, "room-a", "room-b"]));
      const [afterLeave] = await emitAck(socket, "leave", "room-a");
      assert.deepEqual(sorted(afterLeave), sorted([socket.id, "room-b"]));
      const [leaveUnknown] = await emitAck(socket, "leave", "never-joined");
      assert.deepEqual(sorted(leaveUnknown), sorted([socket.id, "room-b"]));

      // the ack is optional
      socket.emit("join", "no-ack-room");
      await barrier(socket);
      assert.deepEqual(await emitAck(socket, "room-size", "no-ack-room"), [1]);
      socket.emit("leave", "no-ack-room");
      await barrier(socket);
      assert.deepEqual(await emitAck(socket, "room-size", "no-ack-room"), [0]);
    });

    test("join / leave ack the rooms in Node's order: [...socket.rooms] is insertion order", { timeout: TEST_TIMEOUT }, async () => {
      // socket.rooms is a Set: its own id first (joined on connection), then the rooms in
      // the order joined; leaving and joining again moves a room to the end.
      const socket = await connect(mode);
      assert.deepEqual(await emitAck(socket, "join", "zeta"), [[socket.id, "zeta"]]);
      assert.deepEqual(await emitAck(socket, "join", "!alpha"), [[socket.id, "zeta", "!alpha"]]);
      assert.deepEqual(await emitAck(socket, "join", "Mid"), [[socket.id, "zeta", "!alpha", "Mid"]]);
      assert.deepEqual(await emitAck(socket, "leave", "zeta"), [[socket.id, "!alpha", "Mid"]]);
      assert.deepEqual(await emitAck(socket, "join", "zeta"), [[socket.id, "!alpha", "Mid", "zeta"]]);
    });

    test("to-room with a socket id reaches that socket only", { timeout: TEST_TIMEOUT }, async () => {
      const [a, b, c] = await connectMany(mode, 3);
      a.emit("to-room", b.id, "just for b", Buffer.from([1, 2]));
      assertSameArgs(await next(b, "room-message"), ["just for b", Buffer.from([1, 2])], "b");
      await barrier(a, c, b);
      assert.deepEqual(pending(a, "room-message"), []);
      assert.deepEqual(pending(c, "room-message"), []);
      assert.deepEqual(pending(b, "room-message"), []);
    });

    test("to-room reaches every member, sender included, and no one else", { timeout: TEST_TIMEOUT }, async () => {
      const [a, b, c] = await connectMany(mode, 3);
      await emitAck(a, "join", "tr");
      await emitAck(b, "join", "tr");
      const args = ["hello room", 1, { bin: Buffer.from([7, 7]) }];
      a.emit("to-room", "tr", ...args);
      assertSameArgs(await next(a, "room-message"), args, "sender (a member) receives");
      assertSameArgs(await next(b, "room-message"), args, "member receives");
      // a non-member sender reaches the members too
      c.emit("to-room", "tr", "from outside");
      assert.deepEqual(await next(a, "room-message"), ["from outside"]);
      assert.deepEqual(await next(b, "room-message"), ["from outside"]);
      await barrier(c, a, b);
      assert.deepEqual(pending(c, "room-message"), [], "non-member received room messages");
      assert.deepEqual(pending(a, "room-message"), [], "member received a room message twice");
      assert.deepEqual(pending(b, "room-message"), [], "member received a room message twice");
      // after leave: no more
      await emitAck(b, "leave", "tr");
      a.emit("to-room", "tr", "after leave");
      assert.deepEqual(await next(a, "room-message"), ["after leave"]);
      await barrier(a, b);
      assert.deepEqual(pending(b, "room-message"), [], "left member still receives");
    });

    test("to-room-except-me excludes the sender", { timeout: TEST_TIMEOUT }, async () => {
      const [a, b, c, d] = await connectMany(mode, 4);
      for (const s of [a, b, c]) await emitAck(s, "join", "ex");
      const args = ["not for me", Buffer.from("bin")];
      a.emit("to-room-except-me", "ex", ...args);
      assertSameArgs(await next(b, "room-message"), args, "member b");
      assertSameArgs(await next(c, "room-message"), args, "member c");
      await barrier(a, d);
      assert.deepEqual(pending(a, "room-message"), [], "sender received its own to-room-except-me");
      assert.deepEqual(pending(d, "room-message"), [], "non-member received");
      // a sender outside the room reaches all members
      d.emit("to-room-except-me", "ex", "from d");
      for (const s of [a, b, c]) assert.deepEqual(await next(s, "room-message"), ["from d"]);
      await barrier(d);
      assert.deepEqual(pending(d, "room-message"), []);
    });

    test("broadcast reaches the others, not the sender", { timeout: TEST_TIMEOUT }, async () => {
      const [a, b, c] = await connectMany(mode, 3);
      const custom = await connect(mode, "/custom");
      const args = ["to all but me", { n: [1, Buffer.from([2])] }];
      a.emit("broadcast", ...args);
      assertSameArgs(await next(b, "broadcast"), args, "b");
      assertSameArgs(await next(c, "broadcast"), args, "c");
      await barrier(a);
      assert.deepEqual(pending(a, "broadcast"), [], "sender received its own broadcast");
      custom.emit("message", "barrier");
      await next(custom, "message-back");
      assert.deepEqual(pending(custom, "broadcast"), [], "a /custom socket received a broadcast of /");
    });

    test("broadcast-all reaches everyone, sender included", { timeout: TEST_TIMEOUT }, async () => {
      const [a, b, c] = await connectMany(mode, 3);
      const args = ["everyone", Buffer.from([1]), null];
      a.emit("broadcast-all", ...args);
      for (const s of [a, b, c]) assertSameArgs(await next(s, "broadcast"), args, "broadcast-all");
      await barrier(a, b, c);
      for (const s of [a, b, c]) assert.deepEqual(pending(s, "broadcast"), [], "received twice");
    });

    test("ask: the server's ack-with-timeout gets the client's answer", { timeout: TEST_TIMEOUT }, async () => {
      const socket = await connect(mode);
      const seen = [];
      socket.on("question-1", (...args) => {
        const cb = args.pop();
        seen.push(args);
        cb("answer", 42, { bin: Buffer.from([4, 2]) });
      });
      socket.on("no-args", (cb) => cb());
      const [reply] = await emitAck(socket, "ask", "question-1", "q", { n: 1 }, Buffer.from([9]));
      assertSameArgs(reply, { reply: ["answer", 42, { bin: Buffer.from([4, 2]) }] }, "ask reply");
      assertSameArgs(seen, [["q", { n: 1 }, Buffer.from([9])]], "question args as sent");
      assert.deepEqual(await emitAck(socket, "ask", "no-args"), [{ reply: [] }]);
      socket.on("événement 🌍", (text, cb) => cb(`${text}!`, null));
      assert.deepEqual(await emitAck(socket, "ask", "événement 🌍", "é"), [{ reply: ["é!", null] }]);
    });

    test("ask: a client that never answers gives {error: 'timeout'} after ~1 s", { timeout: TEST_TIMEOUT }, async () => {
      const socket = await connect(mode);
      let asked = 0;
      socket.on("silent", () => asked++); // receives the question, never calls the ack
      const start = Date.now();
      const [reply] = await emitAck(socket, "ask", "silent", "hello?");
      const elapsed = Date.now() - start;
      assert.deepEqual(reply, { error: "timeout" });
      assert.equal(asked, 1, "the question reached the client");
      assert.ok(elapsed >= SERVER_ACK_TIMEOUT - 50 && elapsed < SERVER_ACK_TIMEOUT + 3000, `answered after ${elapsed} ms`);
      // the connection is fine afterwards
      assert.deepEqual(await emitAck(socket, "message-with-ack", "still here"), ["still here"]);
    });

    test("ask: an answer arriving after the timeout is ignored", { timeout: TEST_TIMEOUT }, async () => {
      const socket = await connect(mode);
      let lateSent;
      socket.on("slow", (cb) => {
        lateSent = sleep(SERVER_ACK_TIMEOUT + 300).then(() => cb("too late"));
      });
      assert.deepEqual(await emitAck(socket, "ask", "slow"), [{ error: "timeout" }]);
      await lateSent;
      // the late ACK packet reached the server: the connection carries on
      assert.deepEqual(await emitAck(socket, "message-with-ack", "after"), ["after"]);
      assert.ok(socket.connected);
      socket.on("fast", (cb) => cb("in time"));
      assert.deepEqual(await emitAck(socket, "ask", "fast"), [{ reply: ["in time"] }]);
    });

    test("ask-room: every member answers -> {timedOut: false, replies}", { timeout: TEST_TIMEOUT }, async () => {
      const members = await connectMany(mode, 3);
      const outsider = await connect(mode);
      members.forEach((s, i) => s.on("question", (cb) => cb(i === 1 ? { who: i, bin: Buffer.from([i]) } : { who: i })));
      outsider.on("question", (cb) => cb({ who: "outsider" }));
      for (const s of members) await emitAck(s, "join", "askers");
      const [result] = await emitAck(outsider, "ask-room", "askers");
      assert.equal(result.timedOut, false);
      assert.equal(result.replies.length, 3, `replies: ${JSON.stringify(result.replies)}`);
      const byWho = [...result.replies].sort((x, y) => x.who - y.who);
      assertSameArgs(byWho, [{ who: 0 }, { who: 1, bin: Buffer.from([1]) }, { who: 2 }], "replies");

      // the asker in the room answers its own question too
      const [own] = await emitAck(members[0], "ask-room", "askers");
      assert.equal(own.timedOut, false);
      assert.equal(own.replies.length, 3);

      // an empty room: no one to wait for
      const [empty] = await emitAck(outsider, "ask-room", "nobody-here");
      assert.deepEqual(empty, { timedOut: false, replies: [] });
    });

    test("ask-room: one silent member -> {timedOut: true, replies} with the others' replies", { timeout: TEST_TIMEOUT }, async () => {
      const [a, b, silent] = await connectMany(mode, 3);
      a.on("question", (cb) => cb("a"));
      b.on("question", (cb) => cb("b"));
      let silentAsked = 0;
      silent.on("question", () => silentAsked++);
      for (const s of [a, b, silent]) await emitAck(s, "join", "partial");
      const start = Date.now();
      const [result] = await emitAck(a, "ask-room", "partial");
      const elapsed = Date.now() - start;
      assert.equal(result.timedOut, true);
      assert.deepEqual([...result.replies].sort(), ["a", "b"]);
      assert.equal(silentAsked, 1);
      assert.ok(elapsed >= SERVER_ACK_TIMEOUT - 50 && elapsed < SERVER_ACK_TIMEOUT + 3000, `answered after ${elapsed} ms`);
    });

    test("ask-room: a member that disconnects instead of answering -> {timedOut: true, replies}", { timeout: TEST_TIMEOUT }, async () => {
      const [a, b, leaver] = await connectMany(mode, 3);
      a.on("question", (cb) => cb("a"));
      b.on("question", (cb) => cb("b"));
      leaver.on("question", () => leaver.disconnect());
      for (const s of [a, b, leaver]) await emitAck(s, "join", "leaving");
      const [result] = await emitAck(a, "ask-room", "leaving");
      assert.equal(result.timedOut, true);
      assert.deepEqual([...result.replies].sort(), ["a", "b"]);
      assert.equal(leaver.connected, false);
    });

    test("set-data / get-data (null before any set-data; per socket)", { timeout: TEST_TIMEOUT }, async () => {
      const [a, b] = await connectMany(mode, 2);
      assert.deepEqual(await emitAck(a, "get-data"), [null]);
      assert.deepEqual(await emitAck(a, "set-data", { name: "alice", list: [1, "2"] }), []);
      assert.deepEqual(await emitAck(a, "get-data"), [{ name: "alice", list: [1, "2"] }]);
      assert.deepEqual(await emitAck(b, "get-data"), [null], "data of another socket");
      assert.deepEqual(await emitAck(a, "set-data", "replaced"), []);
      assert.deepEqual(await emitAck(a, "get-data"), ["replaced"]);
      assert.deepEqual(await emitAck(a, "set-data", 0), []);
      assert.deepEqual(await emitAck(a, "get-data"), [0]);
    });

    test("count: connected sockets of /; a client disconnect is seen server-side", { timeout: TEST_TIMEOUT }, async () => {
      const a = await connect(mode);
      await waitCount(a, 1); // sockets of earlier tests are gone
      const [b, c] = await connectMany(mode, 2);
      assert.equal(await count(a), 3);
      assert.equal(await count(b), 3);
      const custom = await connect(mode, "/custom"); // not a socket of "/"
      assert.equal(await count(a), 3);
      b.disconnect();
      await waitCount(a, 2);
      c.disconnect();
      await waitCount(a, 1);
      custom.disconnect();
      assert.equal(await count(a), 1);
    });

    test("room-size", { timeout: TEST_TIMEOUT }, async () => {
      const [a, b, c] = await connectMany(mode, 3);
      assert.deepEqual(await emitAck(a, "room-size", "sized"), [0]);
      await emitAck(a, "join", "sized");
      await emitAck(b, "join", "sized");
      assert.deepEqual(await emitAck(c, "room-size", "sized"), [2]);
      assert.deepEqual(await emitAck(c, "room-size", a.id), [1], "a socket's own room");
      b.disconnect();
      const deadline = Date.now() + 5000;
      let size;
      while ((size = (await emitAck(c, "room-size", "sized"))[0]) !== 1 && Date.now() < deadline) await sleep(50);
      assert.equal(size, 1, "a disconnected socket leaves its rooms");
      await emitAck(a, "leave", "sized");
      assert.deepEqual(await emitAck(c, "room-size", "sized"), [0]);
    });

    test("disconnect-me: the client sees 'io server disconnect'", { timeout: TEST_TIMEOUT }, async () => {
      const [a, b] = await connectMany(mode, 2);
      await waitCount(b, 2);
      const reason = waitDisconnect(a);
      const backs = [];
      a.on("message-back", (i) => backs.push(i));
      for (let i = 0; i < 5; i++) a.emit("message", i);
      a.emit("disconnect-me");
      assert.equal(await reason, "io server disconnect");
      assert.equal(a.connected, false);
      assert.deepEqual(backs, [0, 1, 2, 3, 4], "what the server sent before disconnecting arrives first");
      await waitCount(b, 1);
    });

    test("disconnect-room: every member disconnected, the others stay", { timeout: TEST_TIMEOUT }, async () => {
      const [a, b, c] = await connectMany(mode, 3);
      await emitAck(a, "join", "doomed");
      await emitAck(b, "join", "doomed");
      const reasons = Promise.all([waitDisconnect(a), waitDisconnect(b)]);
      c.emit("disconnect-room", "doomed");
      assert.deepEqual(await reasons, ["io server disconnect", "io server disconnect"]);
      assert.ok(c.connected);
      assert.deepEqual(await emitAck(c, "message-with-ack", "alive"), ["alive"]);
      await waitCount(c, 1);
      assert.deepEqual(await emitAck(c, "room-size", "doomed"), [0]);

      // a member asking for its own room goes too
      const [d, e] = await connectMany(mode, 2);
      await emitAck(d, "join", "doomed-2");
      await emitAck(e, "join", "doomed-2");
      const reasons2 = Promise.all([waitDisconnect(d), waitDisconnect(e)]);
      d.emit("disconnect-room", "doomed-2");
      assert.deepEqual(await reasons2, ["io server disconnect", "io server disconnect"]);
      await waitCount(c, 1);
    });

    test("dynamic namespace /dyn-abc123 gets nsp; /dyn-UPPER, /dyn- and /unknown are refused", { timeout: TEST_TIMEOUT }, async () => {
      const dyn = await connect(mode, "/dyn-abc123");
      assert.deepEqual(await next(dyn, "nsp"), ["/dyn-abc123"]);
      const dyn2 = await connect(mode, "/dyn-0");
      assert.deepEqual(await next(dyn2, "nsp"), ["/dyn-0"]);
      for (const nsp of ["/dyn-UPPER", "/dyn-", "/dyn-abc/x", "/unknown"]) {
        const err = await connectError(mode, nsp);
        assert.equal(err.message, "Invalid namespace", `connect_error for ${nsp}`);
        assert.equal(err.data, undefined, `connect_error data for ${nsp}`);
      }
    });

    test("/private: unauthorized {code: 401} without the token; welcome with the socket id", { timeout: TEST_TIMEOUT }, async () => {
      const none = await connectError(mode, "/private");
      assert.equal(none.message, "unauthorized");
      assert.deepEqual(none.data, { code: 401 });
      const wrong = await connectError(mode, "/private", { auth: { token: "wrong" } });
      assert.equal(wrong.message, "unauthorized");
      assert.deepEqual(wrong.data, { code: 401 });
      const notString = await connectError(mode, "/private", { auth: { token: ["secret"] } });
      assert.equal(notString.message, "unauthorized");

      const ok = await connect(mode, "/private", { auth: { token: "secret" } });
      const [welcomeId] = await next(ok, "welcome");
      assert.equal(welcomeId, ok.id);
      assert.notEqual(ok.id, ok.io.engine.id);
    });

    test("several namespaces multiplexed on one connection", { timeout: TEST_TIMEOUT }, async () => {
      const manager = new Manager(server.url, clientOptions(mode));
      const main = track(record(manager.socket("/")));
      const custom = track(record(manager.socket("/custom", { auth: { who: "custom" } })));
      const priv = track(record(manager.socket("/private", { auth: { token: "secret" } })));
      const refused = track(record(manager.socket("/unknown")));
      const refusedError = withTimeout(new Promise((resolve) => refused.once("connect_error", resolve)), 5000, "connect_error");
      await Promise.all([waitConnect(main, "/"), waitConnect(custom, "/custom"), waitConnect(priv, "/private")]);
      assert.equal((await refusedError).message, "Invalid namespace");
      await waitUpgrade(main, mode);
      assert.deepEqual(await next(main, "auth"), [{}]);
      assert.deepEqual(await next(custom, "auth"), [{ who: "custom" }]);
      assert.equal((await next(priv, "welcome"))[0], priv.id);
      const ids = new Set([main.id, custom.id, priv.id, manager.engine.id]);
      assert.equal(ids.size, 4, "socket ids per namespace, all different from the engine id");

      main.emit("message", "to /", Buffer.from([1]));
      custom.emit("message", "to /custom", Buffer.from([2]));
      assertSameArgs(await next(main, "message-back"), ["to /", Buffer.from([1])], "/");
      assertSameArgs(await next(custom, "message-back"), ["to /custom", Buffer.from([2])], "/custom");

      // leaving one namespace keeps the others
      custom.disconnect();
      assert.deepEqual(await emitAck(main, "message-with-ack", 1), [1]);
      assert.ok(main.connected && priv.connected);

      // disconnect(true) on "/" closes the whole connection: every namespace goes
      const mainReason = waitDisconnect(main);
      const privReason = waitDisconnect(priv);
      main.emit("disconnect-me");
      assert.equal(await mainReason, "io server disconnect");
      assert.equal(await privReason, "io server disconnect");
      manager.disconnect();
    });

    test("leaving a namespace and joining it again on the same connection", { timeout: TEST_TIMEOUT }, async () => {
      const manager = new Manager(server.url, clientOptions(mode));
      const main = track(record(manager.socket("/")));
      const custom = track(record(manager.socket("/custom", { auth: { round: 1 } })));
      await Promise.all([waitConnect(main, "/"), waitConnect(custom, "/custom")]);
      await waitUpgrade(main, mode);
      assert.deepEqual(await next(custom, "auth"), [{ round: 1 }]);
      const engineId = manager.engine.id;
      const firstId = custom.id;
      custom.disconnect();
      // Node's socket.io handles a DISCONNECT one tick late: a CONNECT for the same
      // namespace read in the same tick is "invalid state" and closes the connection.
      // A round trip on "/" first, so that the DISCONNECT has been processed.
      await barrier(main);
      custom.auth = { round: 2 };
      custom.connect();
      await waitConnect(custom, "/custom again");
      assert.equal(manager.engine.id, engineId, "same Engine.IO connection");
      assert.notEqual(custom.id, firstId, "a new socket id");
      assert.deepEqual(await next(custom, "auth"), [{ round: 2 }]);
      custom.emit("message", "again");
      assert.deepEqual(await next(custom, "message-back"), ["again"]);
      assert.deepEqual(await emitAck(main, "message-with-ack", "main"), ["main"]);
      manager.disconnect();
    });

    test("a connection that joins no namespace is closed after the 1 s connect timeout", { timeout: TEST_TIMEOUT }, async () => {
      const manager = new Manager(server.url, clientOptions(mode, { autoConnect: false }));
      const start = Date.now();
      const closed = withTimeout(
        new Promise((resolve) => manager.once("close", (reason) => resolve({ reason, at: Date.now() - start }))),
        5000,
        "the server to close a connection without namespace",
      );
      try {
        await withTimeout(
          new Promise((resolve, reject) => manager.open((err) => (err ? reject(err) : resolve()))),
          5000,
          "the Engine.IO connection",
        );
        const { reason, at } = await closed;
        assert.equal(reason, "transport close");
        assert.ok(at >= 950 && at < 4000, `closed after ${at} ms`);
      } finally {
        manager.disconnect();
      }
    });

    if (mode.expectedTransport === "websocket") {
      test("a WebSocket dropped without a goodbye is seen server-side", { timeout: TEST_TIMEOUT }, async () => {
        const [a, b] = await connectMany(mode, 2);
        await waitCount(a, 2);
        const reason = waitDisconnect(b);
        b.io.engine.transport.ws.terminate(); // TCP closed, no DISCONNECT packet, no close frame
        assert.equal(await reason, "transport close");
        await waitCount(a, 1);
      });
    }

    test("a message over --max-payload closes that client only; just under it is echoed", { timeout: TEST_TIMEOUT }, async () => {
      const [big, other] = await connectMany(mode, 2);
      const reason = waitDisconnect(big);
      big.emit("message", "x".repeat(1_000_100));
      // What Node's socket.io 4.8 gives: WebSocket close 1009 -> "transport close";
      // polling: the POST is answered 413 -> "transport error".
      assert.equal(await reason, mode.expectedTransport === "websocket" ? "transport close" : "transport error");
      assert.deepEqual(pending(big, "message-back"), []);
      assert.deepEqual(await emitAck(other, "message-with-ack", "still fine"), ["still fine"]);

      const under = await connect(mode);
      const text = "y".repeat(999_900); // 42["message",...] is just under 1,000,000 bytes
      under.emit("message", text);
      const [back] = await next(under, "message-back", 10000);
      assert.ok(back === text, "999,900 characters echoed intact");
    });

    test("a packet with more than 10 binary attachments closes the connection (as socket.io-parser 4.2)", { timeout: TEST_TIMEOUT }, async () => {
      const [socket, other] = await connectMany(mode, 2);
      const reason = waitDisconnect(socket);
      socket.emit("message", ...Array.from({ length: 11 }, (_, i) => Buffer.from([i])));
      assert.equal(await reason, "transport close");
      assert.deepEqual(pending(socket, "message-back"), []);
      assert.deepEqual(await emitAck(other, "message-with-ack", "still fine"), ["still fine"]);
    });

    if (mode.upgrade) {
      test("messages sent while the transport upgrades arrive in order", { timeout: TEST_TIMEOUT }, async () => {
        // The WebSocket probe starts 300 ms late, so that the first messages surely go
        // over polling and the upgrade happens in the middle of the stream.
        class LateWebSocket extends NodeWebSocket {
          doOpen() {
            setTimeout(() => {
              if (this.readyState === "opening") super.doOpen();
            }, 300);
          }
        }
        const socket = track(record(ioClient(server.url, clientOptions(mode, { transports: [NodeXHR, LateWebSocket] }))));
        const TOTAL = 600;
        let sent = 0;
        const transportsSeen = new Set();
        // start sending the moment the namespace is joined, over polling, and keep going
        // (a few at a time) through the upgrade
        const received = [];
        const done = new Promise((resolve) => {
          socket.on("message-back", (i) => {
            received.push(i);
            if (received.length === TOTAL) resolve();
          });
        });
        await new Promise((resolve) => {
          socket.once("connect", () => {
            const tick = () => {
              transportsSeen.add(socket.io.engine.transport.name);
              for (let k = 0; k < 10 && sent < TOTAL; k++) socket.emit("message", sent++);
              if (sent < TOTAL) setTimeout(tick, 10);
              else resolve();
            };
            tick();
          });
        });
        await withTimeout(done, 10000, `${TOTAL} message-back (got ${received.length})`);
        assert.deepEqual(received, Array.from({ length: TOTAL }, (_, i) => i));
        await waitUpgrade(socket, mode);
        assert.ok(transportsSeen.has("polling"), "some messages were sent over polling");
        assert.ok(transportsSeen.has("websocket"), "some messages were sent over websocket");
      });
    }

    test("2000 messages arrive in order", { timeout: TEST_TIMEOUT }, async () => {
      // At most WINDOW messages in flight: one synchronous burst of 2000 would block both
      // event loops long enough, on a loaded machine, to miss the 300 + 200 ms heartbeat.
      const TOTAL = 2000;
      const WINDOW = 50;
      const socket = await connect(mode);
      const argsOf = (i) => (i % 100 === 0 ? [i, Buffer.from([i & 0xff, i >> 8])] : [i, `payload ${i}`]);
      const received = [];
      let sent = 0;
      const send = () => socket.emit("message", ...argsOf(sent++));
      const done = withTimeout(
        new Promise((resolve) => {
          socket.on("message-back", (...args) => {
            received.push(args);
            if (sent < TOTAL) send();
            if (received.length === TOTAL) resolve();
          });
        }),
        15000,
        `${TOTAL} message-back`,
      ).catch((err) => {
        err.message += ` (sent ${sent}, got ${received.length}; connected: ${socket.connected}, transport ${socket.io.engine?.transport?.name}, disconnect reason: ${socket.__disconnectReason})`;
        throw err;
      });
      while (sent < WINDOW) send();
      await done;
      received.forEach((args, i) => assertSameArgs(args, argsOf(i), `message #${i}`));
      await barrier(socket);
      assert.equal(received.length, TOTAL, "more message-back than messages");
    });
  });
}

// ---------------------------------------------------------------------------------------
// many clients

describe("many clients", { timeout: 60000 }, () => {
  afterEach(closeAll);

  test("200 clients in one room each get each of 20 room messages exactly once, in order", { timeout: 20000 }, async () => {
    const CLIENTS = 200;
    const MESSAGES = 20;
    const sockets = [];
    // In batches, so that neither event loop stalls past the 300 + 200 ms heartbeat.
    const BATCH = 10;
    for (let i = 0; i < CLIENTS; i += BATCH) {
      const batch = await connectMany(WEBSOCKET, Math.min(BATCH, CLIENTS - i));
      await Promise.all(batch.map((s) => emitAck(s, "join", "crowd")));
      sockets.push(...batch);
    }
    assert.deepEqual(await emitAck(sockets[0], "room-size", "crowd"), [CLIENTS]);

    // One room message at a time (the next once every client has the previous one), then
    // an end marker: a burst of 20 x 200 packets at once stalls a loaded machine past the
    // 500 ms heartbeat budget (Node's own server included).
    const received = sockets.map(() => []);
    let ended = 0;
    let progress = () => {};
    sockets.forEach((s, k) =>
      s.on("room-message", (...args) => {
        if (args[0] === "end") ended++;
        else received[k].push(args);
        progress();
      }),
    );
    const waitAll = (what, done) =>
      withTimeout(
        new Promise((resolve) => {
          progress = () => done() && resolve();
          progress();
        }),
        5000,
        what,
      ).catch((err) => {
        const reasons = {};
        for (const s of sockets) if (s.__disconnectReason) reasons[s.__disconnectReason] = (reasons[s.__disconnectReason] ?? 0) + 1;
        const counts = received.map((r) => r.length);
        err.message += ` (room messages per client: min ${Math.min(...counts)}, max ${Math.max(...counts)}; ended ${ended}; disconnected: ${JSON.stringify(reasons)})`;
        throw err;
      });
    const sender = sockets[0];
    const argsOf = (i) => [i, i % 4 === 0 ? Buffer.from([i]) : `m${i}`];
    for (let i = 0; i < MESSAGES; i++) {
      sender.emit("to-room", "crowd", ...argsOf(i));
      await waitAll(`room message #${i} on every client`, () => received.every((r) => r.length > i));
    }
    sender.emit("to-room", "crowd", "end");
    await waitAll("the end marker on every client", () => ended === CLIENTS);

    const expected = Array.from({ length: MESSAGES }, (_, i) => argsOf(i));
    received.forEach((got, k) => {
      assert.equal(got.length, MESSAGES, `client #${k} got ${got.length} room messages`);
      assertSameArgs(got, expected, `client #${k}`);
    });
  });
});
