// The notifications example against Node's socket.io-client 4.8 and fetch():
// JWT handshake auth, per-user delivery, broadcast, the HTTP API's errors, unread
// counts and read acknowledgements.
//
//   cd examples/notifications && npm ci
//   NOTIFY_SERVER=/path/to/build/examples/notifications/notifications \
//     node --test --test-reporter=../../tests/interop/reporter.mjs tests/protocol.test.mjs

import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";

import { io } from "socket.io-client";

import { API_KEY, api, makeToken, nowSeconds, startServer, tokenFor } from "./lib/server.mjs";

const opened = new Set();

/**
 * Connects with this handshake auth; resolves with the socket once connected, rejects
 * with the connect_error. Every event is recorded from the start (see waitFor).
 */
function connect(server, auth, { transports = ["websocket"] } = {}) {
  return new Promise((resolve, reject) => {
    const socket = io(server.url, { auth, transports, reconnection: false, forceNew: true, timeout: 5000 });
    opened.add(socket);
    track(socket);
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", (err) => {
      socket.close();
      reject(err);
    });
  });
}

/**
 * Adds socket.waitFor(event, predicate, ms) (takes the first matching event, received or
 * future), socket.received(event) (those not taken yet) and socket.log(event) (all of them).
 */
function track(socket) {
  const queues = new Map();
  const logs = new Map();
  const waiters = [];
  socket.onAny((event, payload) => {
    if (!logs.has(event)) logs.set(event, []);
    logs.get(event).push(payload);
    const i = waiters.findIndex((w) => w.event === event && w.predicate(payload));
    if (i >= 0) {
      const [w] = waiters.splice(i, 1);
      clearTimeout(w.timer);
      w.resolve(payload);
      return;
    }
    if (!queues.has(event)) queues.set(event, []);
    queues.get(event).push(payload);
  });
  socket.waitFor = (event, predicate = () => true, ms = 4000) => {
    const queue = queues.get(event) ?? [];
    const i = queue.findIndex(predicate);
    if (i >= 0) return Promise.resolve(queue.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      const w = { event, predicate, resolve };
      w.timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(w), 1);
        reject(new Error(`no "${event}" matching ${predicate} within ${ms} ms; got ${JSON.stringify(queue)}`));
      }, ms);
      waiters.push(w);
    });
  };
  socket.received = (event) => queues.get(event) ?? [];
  socket.log = (event) => logs.get(event) ?? [];
}

/** The connect_error of a handshake that must be refused. */
async function refusal(server, auth) {
  try {
    await connect(server, auth);
  } catch (err) {
    return err;
  }
  assert.fail(`connected with auth ${JSON.stringify(auth)}`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const unreadCount = (n) => (u) => u && u.count === n;
const unreadIds = (ids) => (u) => u && u.count === ids.length && JSON.stringify(u.ids) === JSON.stringify(ids);

afterEach(() => {
  for (const socket of opened) socket.close();
  opened.clear();
});

describe("notifications server (--threads 4)", () => {
  let server;

  before(async () => {
    server = await startServer(["--threads", "4"]);
  });

  after(async () => {
    if (server?.alive) await server.stop().catch(() => {});
  });

  test("a valid token connects, and the socket gets its unread count", async () => {
    const socket = await connect(server, { token: tokenFor("alice") });
    const unread = await socket.waitFor("unread");
    assert.equal(unread.count, 0);
    assert.deepEqual(unread.ids, []);
    assert.equal(typeof unread.version, "number");
  });

  test("GET /api/dev-token mints an HS256 token for the user, valid for an hour, that connects", async () => {
    const res = await api(server, "/api/dev-token?user=bob", null, { method: "GET", key: null });
    assert.equal(res.status, 200);
    assert.equal(res.body.user, "bob");
    const parts = res.body.token.split(".");
    assert.equal(parts.length, 3);
    const header = JSON.parse(Buffer.from(parts[0], "base64url").toString());
    const claims = JSON.parse(Buffer.from(parts[1], "base64url").toString());
    assert.equal(header.alg, "HS256");
    assert.equal(claims.sub, "bob");
    assert.ok(Math.abs(claims.exp - (nowSeconds() + 3600)) <= 5, `exp ${claims.exp}`);
    assert.equal(res.body.exp, claims.exp);
    // The same token as the test's own HMAC would make: the server signs with its secret.
    assert.equal(res.body.token, makeToken(claims, { header }));
    const socket = await connect(server, { token: res.body.token });
    assert.ok(socket.connected);
  });

  test("tokens with other claims, in any order, connect as their sub", async () => {
    const exp = nowSeconds() + 60;
    const claimSets = [
      { exp, sub: "olga1" },
      { sub: "olga2", iat: nowSeconds(), exp, aud: "demo" },
      { iss: "me", sub: "olga3", iat: nowSeconds(), exp, nbf: nowSeconds() - 5, jti: "x", extra: { a: [1, 2] } },
    ];
    for (const claims of claimSets) {
      const socket = await connect(server, { token: makeToken(claims) });
      const res = await api(server, "/api/notify", { user: claims.sub, title: "hi" });
      assert.equal(res.body.delivered, 1, JSON.stringify(claims));
      assert.equal((await socket.waitFor("notification")).id, res.body.id);
    }
  });

  describe("refused handshakes", () => {
    const valid = () => tokenFor("mallory");
    const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const cases = [
      ["a bad signature (another secret)", () => makeToken({ sub: "mallory", exp: nowSeconds() + 60 }, { secret: "not-the-secret" }), "invalid token"],
      ["a payload changed after signing", () => {
        const [h, , s] = valid().split(".");
        return `${h}.${b64({ sub: "admin", exp: nowSeconds() + 60 })}.${s}`;
      }, "invalid token"],
      ["an expired token", () => makeToken({ sub: "mallory", exp: nowSeconds() - 10 }), "token expired"],
      ["alg none, unsigned", () => `${b64({ alg: "none", typ: "JWT" })}.${b64({ sub: "mallory", exp: nowSeconds() + 60 })}.`, "invalid token"],
      ["alg none, with a valid HMAC", () => makeToken({ sub: "mallory", exp: nowSeconds() + 60 }, { header: { alg: "none" } }), "invalid token"],
      ["alg HS512 in the header", () => makeToken({ sub: "mallory", exp: nowSeconds() + 60 }, { header: { alg: "HS512" } }), "invalid token"],
      ["alg hs256 (wrong case)", () => makeToken({ sub: "mallory", exp: nowSeconds() + 60 }, { header: { alg: "hs256" } }), "invalid token"],
      ["a crit header", () => makeToken({ sub: "mallory", exp: nowSeconds() + 60 }, { header: { alg: "HS256", crit: ["x"], x: 1 } }), "invalid token"],
      ["no sub", () => makeToken({ exp: nowSeconds() + 60 }), "invalid token"],
      ["an empty sub", () => makeToken({ sub: "", exp: nowSeconds() + 60 }), "invalid token"],
      ["a numeric sub", () => makeToken({ sub: 42, exp: nowSeconds() + 60 }), "invalid token"],
      ["no exp", () => makeToken({ sub: "mallory" }), "invalid token"],
      ["nbf in the future", () => makeToken({ sub: "mallory", exp: nowSeconds() + 600, nbf: nowSeconds() + 300 }), "invalid token"],
      ["base64 padding in the signature", () => `${valid()}=`, "invalid token"],
      ["four parts", () => `${valid()}.x`, "invalid token"],
      ["garbage", () => "not-a-token", "invalid token"],
    ];
    for (const [name, token, message] of cases) {
      test(`${name} -> "${message}"`, async () => {
        const err = await refusal(server, { token: token() });
        assert.equal(err.message, message);
        assert.equal(typeof err.data?.reason, "string", JSON.stringify(err.data));
      });
    }
    test('no token in the auth -> "invalid token"', async () => {
      assert.equal((await refusal(server, {})).message, "invalid token");
      assert.equal((await refusal(server, undefined)).message, "invalid token");
      assert.equal((await refusal(server, { token: 12345 })).message, "invalid token");
    });
  });

  test("two sockets of one user (websocket and polling) both receive a notify; delivered is 2", async () => {
    const ws = await connect(server, { token: tokenFor("alice2") });
    const polling = await connect(server, { token: tokenFor("alice2") }, { transports: ["polling"] });
    const other = await connect(server, { token: tokenFor("carol") });
    await Promise.all([ws, polling, other].map((s) => s.waitFor("unread")));

    const res = await api(server, "/api/notify", { user: "alice2", title: "Deploy done", body: "v1.2.3 is live" });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type"), /^application\/json/);
    assert.equal(res.body.delivered, 2);
    assert.equal(typeof res.body.id, "string");

    for (const socket of [ws, polling]) {
      const n = await socket.waitFor("notification");
      assert.deepEqual({ ...n, ts: 0 }, { id: res.body.id, title: "Deploy done", body: "v1.2.3 is live", ts: 0 });
      assert.ok(Math.abs(n.ts - Date.now()) < 60_000, `ts ${n.ts}`);
      const unread = await socket.waitFor("unread", unreadCount(1));
      assert.deepEqual(unread.ids, [res.body.id]);
    }
    await sleep(300);
    assert.deepEqual(other.received("notification"), [], "another user got alice2's notification");
  });

  test("a notify to a user with no socket: delivered 0, and it is unread when they connect", async () => {
    const res = await api(server, "/api/notify", { user: "dave", title: "While you were out" });
    assert.equal(res.status, 200);
    assert.equal(res.body.delivered, 0);
    const socket = await connect(server, { token: tokenFor("dave") });
    const unread = await socket.waitFor("unread");
    assert.equal(unread.count, 1);
    assert.deepEqual(unread.ids, [res.body.id]);
    const list = await socket.timeout(3000).emitWithAck("list-unread");
    assert.equal(list.count, 1);
    assert.equal(list.items.length, 1);
    assert.equal(list.items[0].id, res.body.id);
    assert.equal(list.items[0].title, "While you were out");
    assert.equal(list.items[0].body, "");
  });

  test("mark-read {id} and {all: true}: acknowledged with the unread count, pushed to every tab", async () => {
    const tab1 = await connect(server, { token: tokenFor("erin") });
    const tab2 = await connect(server, { token: tokenFor("erin") }, { transports: ["polling"] });
    const ids = [];
    for (const title of ["one", "two", "three"]) {
      const res = await api(server, "/api/notify", { user: "erin", title, body: title });
      assert.equal(res.body.delivered, 2);
      ids.push(res.body.id);
    }
    for (const tab of [tab1, tab2]) await tab.waitFor("unread", unreadCount(3));

    const ack = await tab1.timeout(3000).emitWithAck("mark-read", { id: ids[0] });
    assert.equal(ack.ok, true);
    assert.equal(ack.unread, 2);
    for (const tab of [tab1, tab2]) await tab.waitFor("unread", unreadIds(ids.slice(1)));

    // Again: already read is fine.
    const again = await tab2.timeout(3000).emitWithAck("mark-read", { id: ids[0] });
    assert.deepEqual({ ok: again.ok, unread: again.unread }, { ok: true, unread: 2 });

    // Malformed requests are refused in the acknowledgement.
    for (const bad of [{}, { id: "" }, { all: "yes" }, "n1", null]) {
      const res = await tab1.timeout(3000).emitWithAck("mark-read", bad);
      assert.equal(res.ok, false, JSON.stringify(bad));
      assert.equal(typeof res.error, "string");
    }

    const all = await tab2.timeout(3000).emitWithAck("mark-read", { all: true });
    assert.deepEqual({ ok: all.ok, unread: all.unread }, { ok: true, unread: 0 });
    for (const tab of [tab1, tab2]) {
      const unread = await tab.waitFor("unread", unreadCount(0));
      assert.deepEqual(unread.ids, []);
    }
    const later = await connect(server, { token: tokenFor("erin") });
    assert.equal((await later.waitFor("unread")).count, 0);
  });

  test("50 concurrent notifies: each delivered twice, and the newest unread state counts 50", async () => {
    const tabs = [
      await connect(server, { token: tokenFor("frank") }),
      await connect(server, { token: tokenFor("frank") }, { transports: ["polling"] }),
    ];
    await Promise.all(tabs.map((t) => t.waitFor("unread")));
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => api(server, "/api/notify", { user: "frank", title: `#${i}` })),
    );
    for (const r of results) assert.deepEqual([r.status, r.body.delivered], [200, 2]);
    for (const tab of tabs) {
      // Every notification arrives; the unread states may arrive out of order, and the
      // one with the highest version is the truth.
      for (let i = 0; i < 50; i++) await tab.waitFor("notification");
      await tab.waitFor("unread", unreadCount(50));
      await sleep(200);
      const newest = tab.log("unread").reduce((a, b) => (b.version > a.version ? b : a));
      assert.equal(newest.count, 50);
      assert.equal(newest.ids.length, 50);
    }
    const ack = await tabs[0].timeout(3000).emitWithAck("mark-read", { all: true });
    assert.equal(ack.unread, 0);
  });

  describe("HTTP API errors (JSON bodies {error})", () => {
    const cases = [
      ["bad JSON -> 400", "/api/notify", { raw: "{not json" }, 400],
      ["a JSON array -> 400", "/api/notify", { raw: "[1,2]" }, 400],
      ["no user -> 400", "/api/notify", { payload: { title: "x" } }, 400],
      ["an empty user -> 400", "/api/notify", { payload: { user: "", title: "x" } }, 400],
      ["no title -> 400", "/api/notify", { payload: { user: "a" } }, 400],
      ["a numeric body -> 400", "/api/notify", { payload: { user: "a", title: "x", body: 3 } }, 400],
      ["broadcast without title -> 400", "/api/broadcast", { payload: { body: "x" } }, 400],
      ["no x-api-key -> 401", "/api/notify", { payload: { user: "a", title: "x" }, key: null }, 401],
      ["a wrong x-api-key -> 401", "/api/notify", { payload: { user: "a", title: "x" }, key: `${API_KEY}x` }, 401],
      ["broadcast with a wrong key -> 401", "/api/broadcast", { payload: { title: "x" }, key: "nope" }, 401],
      ["a body over 16 KiB -> 413", "/api/notify", { payload: { user: "a", title: "x", body: "y".repeat(16 * 1024) } }, 413],
      ["GET /api/notify -> 405", "/api/notify", { method: "GET" }, 405],
      ["PUT /api/broadcast -> 405", "/api/broadcast", { method: "PUT", payload: { title: "x" } }, 405],
      ["POST /api/dev-token -> 405", "/api/dev-token?user=a", { payload: {} }, 405],
      ["an unknown API path -> 404", "/api/nope", { payload: {} }, 404],
      ["an unknown page -> 404", "/no-such-page", { method: "GET" }, 404],
      ["a dev-token without user -> 400", "/api/dev-token", { method: "GET" }, 400],
      ["a dev-token with an odd user -> 400", "/api/dev-token?user=%3Cb%3E", { method: "GET" }, 400],
    ];
    for (const [name, path, { payload, raw, key, method }, status] of cases) {
      test(name, async () => {
        const res = await api(server, path, payload, { raw, key, method });
        assert.equal(res.status, status, JSON.stringify(res.body));
        assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
        assert.equal(typeof res.body.error, "string", JSON.stringify(res.body));
        if (status === 405) assert.ok(res.headers.get("allow"));
      });
    }
    test("a body of exactly 16 KiB is accepted", async () => {
      const filler = "z".repeat(16 * 1024 - JSON.stringify({ user: "gina", title: "x", body: "" }).length);
      const raw = JSON.stringify({ user: "gina", title: "x", body: filler });
      assert.equal(raw.length, 16 * 1024);
      const res = await api(server, "/api/notify", null, { raw });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    });
  });

  test("pages and the client bundle are served; the engine path is not shadowed", async () => {
    const page = await fetch(`${server.url}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type"), /^text\/html/);
    assert.match(page.headers.get("content-security-policy") ?? "", /default-src 'self'/);
    assert.match(await page.text(), /<script src="\/vendor\/socket\.io\.min\.js">/);
    for (const [path, type] of [["/app.js", /javascript/], ["/style.css", /^text\/css/], ["/vendor/socket.io.min.js", /javascript/]]) {
      const res = await fetch(`${server.url}${path}`);
      assert.equal(res.status, 200, path);
      assert.match(res.headers.get("content-type"), type, path);
      await res.arrayBuffer();
    }
    const outside = await fetch(`${server.url}/vendor/..%2f..%2fpackage.json`);
    assert.equal(outside.status, 404);
    await outside.arrayBuffer();
    const engine = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`);
    assert.equal(engine.status, 200);
    assert.match(await engine.text(), /^0\{"sid"/);
  });

  test("exits with code 0 on SIGTERM", async () => {
    for (const socket of opened) socket.close();
    await connect(server, { token: tokenFor("last") }); // one still connected
    const { code, signal } = await server.stop();
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, `server stderr:\n${server.logs().stderr.slice(-20000)}`);
  });
});

describe("POST /api/broadcast", () => {
  let server;
  before(async () => {
    server = await startServer(["--threads", "2"]);
  });
  after(async () => {
    if (server?.alive) await server.stop();
  });

  test("reaches every socket of every user; delivered counts sockets; unread per user", async () => {
    const x1 = await connect(server, { token: tokenFor("xavier") });
    const x2 = await connect(server, { token: tokenFor("xavier") }, { transports: ["polling"] });
    const y = await connect(server, { token: tokenFor("yolanda") });
    await Promise.all([x1, x2, y].map((s) => s.waitFor("unread")));

    const res = await api(server, "/api/broadcast", { title: "Maintenance", body: "at 22:00" });
    assert.equal(res.status, 200);
    assert.equal(res.body.delivered, 3);
    for (const socket of [x1, x2, y]) {
      const n = await socket.waitFor("notification");
      assert.equal(n.id, res.body.id);
      assert.equal(n.title, "Maintenance");
      assert.equal(n.body, "at 22:00");
      const unread = await socket.waitFor("unread", unreadCount(1));
      assert.deepEqual(unread.ids, [res.body.id]);
    }
    // Reading it as xavier leaves yolanda's copy unread.
    const ack = await x1.timeout(3000).emitWithAck("mark-read", { id: res.body.id });
    assert.equal(ack.unread, 0);
    await x2.waitFor("unread", unreadCount(0));
    await sleep(200);
    assert.deepEqual(y.received("unread").filter(unreadCount(0)), []);
  });
});

describe("--no-dev-tokens and the secret", () => {
  let server;
  before(async () => {
    server = await startServer(["--no-dev-tokens"]);
  });
  after(async () => {
    if (server?.alive) await server.stop();
  });

  test("GET /api/dev-token is 404; tokens from elsewhere still work", async () => {
    const res = await api(server, "/api/dev-token?user=a", null, { method: "GET", key: null });
    assert.equal(res.status, 404);
    assert.equal(typeof res.body.error, "string");
    const socket = await connect(server, { token: tokenFor("zoe") });
    assert.ok(socket.connected);
  });
});
