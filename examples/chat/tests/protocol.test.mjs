// The chat's event protocol (README.md beside this folder), checked with the npm
// socket.io-client against the C++ chat server named by CHAT_SERVER.
//
//   CHAT_SERVER=/path/to/chat node --test --test-reporter=./reporter.mjs protocol.test.mjs

import { after, afterEach, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { startChat } from "./lib/server.mjs";
import { startProxy } from "./lib/proxy.mjs";
import { ask, client, closeAll, connect, eventually, join, sleep, user } from "./lib/client.mjs";

let server;
let url;

before(async () => {
  // Several threads, so that the server's shared state really is shared.
  server = await startChat(["--threads", "4"]);
  url = server.url;
});

afterEach(() => closeAll());

after(async () => {
  closeAll();
  await server?.stop();
});

// Every test uses its own names and rooms: the server is shared by the whole file.
let counter = 0;
const unique = (prefix) => `${prefix}${++counter}`;
const uniqueRoom = (prefix) => `#${prefix}-${++counter}`;

/** Resolves with the error of a refused connection (and fails if it connects). */
async function refused(auth) {
  try {
    const socket = await connect(url, auth);
    socket.close();
  } catch (err) {
    return err;
  }
  throw new Error(`${JSON.stringify(auth)} was accepted`);
}

/** Asserts that `socket` receives no `event` within `ms`. */
async function nothing(socket, event, ms = 300) {
  await sleep(ms);
  assert.deepEqual(socket.received(event), [], `${event} was received`);
}

function rawGet(path) {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: "127.0.0.1", port: server.port, path }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode, headers: response.headers, body }));
    });
    request.on("error", reject);
  });
}

describe("http", () => {
  test("serves the page, its assets and the socket.io-client bundle at /vendor/", async () => {
    const page = await rawGet("/");
    assert.equal(page.status, 200);
    assert.match(page.headers["content-type"], /^text\/html/);
    assert.match(page.body, /<script src="\/vendor\/socket\.io\.min\.js"/);
    assert.match(page.body, /<script src="\/app\.js"/);
    // Nothing is loaded from the internet.
    assert.doesNotMatch(page.body, /(src|href)="(https?:)?\/\//);
    assert.match(page.headers["content-security-policy"], /default-src 'self'/);
    assert.equal(page.headers["x-content-type-options"], "nosniff");

    for (const [path, type] of [
      ["/app.js", /javascript/],
      ["/style.css", /^text\/css/],
      ["/vendor/socket.io.min.js", /javascript/],
    ]) {
      const response = await rawGet(path);
      assert.equal(response.status, 200, path);
      assert.match(response.headers["content-type"], type, path);
      assert.ok(response.body.length > 100, path);
    }
    const bundle = await rawGet("/vendor/socket.io.min.js");
    assert.match(bundle.body, /Socket\.IO v4\.8\./);
  });

  test("answers 404 for unknown paths and never serves files outside its folders", async () => {
    assert.equal((await rawGet("/no-such-file")).status, 404);
    assert.equal((await rawGet("/vendor/%2e%2e/package.json")).status, 404);
    assert.equal((await rawGet("/../package.json")).status, 404);
    assert.equal((await rawGet("/%2e%2e/main.cpp")).status, 404);
  });
});

describe("joining with a nickname", () => {
  test("the welcome event carries the accepted (trimmed) name and the room list", async () => {
    const name = unique("Ada");
    const socket = await connect(url, { name: `  ${name}\t` });
    const welcome = await socket.waitFor("welcome");
    assert.equal(welcome.name, name);
    assert.ok(welcome.rooms.includes("#general") && welcome.rooms.includes("#random"), JSON.stringify(welcome));
    assert.equal(typeof welcome.version, "number");
  });

  test("an empty, blank, missing or non-string name is refused", async () => {
    for (const auth of [{}, { name: "" }, { name: "   \t " }, { name: "\u00a0\u3000" }, { name: 42 }, undefined]) {
      const err = await refused(auth);
      assert.equal(err.message, "name required", JSON.stringify(auth));
      assert.deepEqual(err.data, { code: "name_required" });
    }
  });

  test("a name over 32 characters is refused (characters, not bytes)", async () => {
    const err = await refused({ name: "x".repeat(33) });
    assert.equal(err.message, "name too long");
    assert.deepEqual(err.data, { code: "name_too_long" });
    assert.equal((await refused({ name: "😀".repeat(33) })).message, "name too long");

    const ascii = `${unique("n")}`.padEnd(32, "x");
    const accented = `${unique("é")}`.padEnd(32, "é"); // 32 characters, more than 32 bytes
    for (const name of [ascii, accented]) {
      const socket = await connect(url, { name });
      assert.equal((await socket.waitFor("welcome")).name, name);
    }
  });

  test("a name with control characters is refused", async () => {
    const err = await refused({ name: "bad\u0007name" });
    assert.equal(err.message, "invalid name");
  });

  test("a name in use is refused, ignoring case; it is free again once its user left", async () => {
    const name = unique("Bob");
    const bob = await user(url, name);
    for (const taken of [name.toLowerCase(), name.toUpperCase(), ` ${name} `]) {
      const err = await refused({ name: taken });
      assert.equal(err.message, "name taken", taken);
      assert.deepEqual(err.data, { code: "name_taken" });
    }
    bob.close();
    // A fresh connection with the same name, once the server saw the old one go.
    const again = await eventually(() => connect(url, { name: name.toLowerCase() }), 3000);
    assert.equal((await again.waitFor("welcome")).name, name.toLowerCase());
  });

  test("the same page coming back (same session token) takes its name over; others cannot", async () => {
    const name = unique("carol");
    const first = await connect(url, { name, session: "token-a" });
    await first.waitFor("welcome");
    const room = uniqueRoom("takeover");
    await join(first, room);

    const stranger = await refused({ name, session: "token-b" });
    assert.equal(stranger.message, "name taken");

    const lost = new Promise((resolve) => first.once("disconnect", resolve));
    const second = await connect(url, { name, session: "token-a" });
    await second.waitFor("welcome");
    await lost; // the old connection is closed by the server

    const reply = await join(second, room);
    assert.deepEqual(reply.users, [name]);
    assert.equal((await refused({ name })).message, "name taken");
  });
});

describe("rooms", () => {
  test("room names are validated", async () => {
    const socket = await user(url, unique("val"));
    const bad = ["general", "#", "#General", "#a b", "#a_b", "#é", `#${"a".repeat(33)}`, "##x", 42, null, ["#x"]];
    for (const room of bad) {
      assert.deepEqual(await ask(socket, "join", room), { ok: false, error: "invalid room name" }, JSON.stringify(room));
    }
    const longest = `#${"a".repeat(31)}${++counter % 10}`;
    assert.equal((await ask(socket, "join", longest)).ok, true);
  });

  test("joining a new room creates it and pushes the room list to everyone", async () => {
    const a = await user(url, unique("ra"));
    const b = await user(url, unique("rb"));
    const before = (await b.received("welcome"))[0].version;
    const room = uniqueRoom("fresh");
    const reply = await join(a, room);
    assert.deepEqual(reply.history, []);
    assert.deepEqual(reply.users, [a.auth.name]);
    assert.equal(reply.room, room);

    const list = await b.waitFor("rooms", (p) => p.rooms.includes(room));
    assert.ok(list.version > before);
    assert.ok(list.rooms.includes("#general") && list.rooms.includes("#random"));

    const c = await connect(url, { name: unique("rc") });
    assert.ok((await c.waitFor("welcome")).rooms.includes(room));
  });

  test("joining a room twice is harmless and answers the history again", async () => {
    const a = await user(url, unique("twice"));
    const room = uniqueRoom("twice");
    await join(a, room);
    await ask(a, "message", { room, text: "one" });
    const again = await join(a, room);
    assert.deepEqual(again.history.map((m) => m.text), ["one"]);
    assert.deepEqual(again.users, [a.auth.name]);
  });

  test("a server holds at most 100 rooms", async () => {
    const own = await startChat(["--threads", "1"]);
    try {
      const a = await user(own.url, "roomer");
      for (let i = 3; i <= 100; i++) assert.equal((await ask(a, "join", `#r${i}`)).ok, true, `#r${i}`);
      assert.deepEqual(await ask(a, "join", "#one-too-many"), { ok: false, error: "too many rooms" });
      assert.equal((await ask(a, "join", "#r50")).ok, true); // existing rooms still open
      assert.equal((await ask(a, "join", "#general")).ok, true);
    } finally {
      closeAll();
      await own.stop();
    }
  });

  test("presence: the room's users are pushed on join, leave and disconnect", async () => {
    const room = uniqueRoom("presence");
    const names = [unique("Pa"), unique("pb"), unique("PC")];
    const [a, b, c] = await Promise.all(names.map((n) => user(url, n)));

    await join(a, room);
    let p = await a.waitFor("presence", (x) => x.room === room);
    assert.deepEqual(p.users, [names[0]]);
    let version = p.version;

    await join(b, room);
    p = await a.waitFor("presence", (x) => x.room === room);
    assert.deepEqual(p.users, [names[0], names[1]]);
    assert.ok(p.version > version);
    version = p.version;

    await join(c, room);
    p = await a.waitFor("presence", (x) => x.room === room);
    assert.deepEqual(p.users, [names[0], names[1], names[2]]); // sorted, ignoring case
    version = p.version;

    // B has been told about C too before it leaves.
    await b.waitFor("presence", (x) => x.room === room && x.users.length === 3);
    const toldB = b.received("presence").length;
    assert.deepEqual(await ask(b, "leave", room), { ok: true, room });
    p = await a.waitFor("presence", (x) => x.room === room);
    assert.deepEqual(p.users, [names[0], names[2]]);
    assert.ok(p.version > version);
    version = p.version;

    c.close();
    p = await a.waitFor("presence", (x) => x.room === room);
    assert.deepEqual(p.users, [names[0]]);
    assert.ok(p.version > version);

    // The one who left is told nothing more about the room.
    await sleep(200);
    assert.equal(b.received("presence").length, toldB);
  });

  test("leave: the room's messages stop arriving; leaving twice is an error", async () => {
    const room = uniqueRoom("leave");
    const a = await user(url, unique("la"));
    const b = await user(url, unique("lb"));
    await join(a, room);
    await join(b, room);
    assert.deepEqual(await ask(b, "leave", room), { ok: true, room });
    assert.deepEqual(await ask(b, "leave", room), { ok: false, error: "not in room" });
    assert.deepEqual(await ask(b, "leave", "#never-joined-room"), { ok: false, error: "not in room" });
    assert.deepEqual(await ask(b, "message", { room, text: "still here?" }), { ok: false, error: "not in room" });
    assert.equal((await ask(a, "message", { room, text: "after leave" })).ok, true);
    await nothing(b, "message");
  });
});

describe("messages", () => {
  test("a message reaches the other members of its room, with an ack of id and ts", async () => {
    const room = uniqueRoom("msg");
    const [a, b, c] = await Promise.all([unique("ma"), unique("mb"), unique("mc")].map((n) => user(url, n)));
    await join(a, room);
    await join(b, room);
    await join(c, "#random");

    const sentAt = Date.now();
    const ack = await ask(a, "message", { room, text: "hello room" });
    assert.equal(ack.ok, true);
    assert.equal(typeof ack.id, "number");
    assert.ok(Math.abs(ack.ts - sentAt) < 5000, `ts ${ack.ts} vs ${sentAt}`);
    assert.deepEqual(Object.keys(ack).sort(), ["id", "ok", "ts"]);

    const message = await b.waitFor("message");
    assert.deepEqual(message, { id: ack.id, room, from: a.auth.name, text: "hello room", ts: ack.ts });
    await nothing(a, "message"); // the sender has the ack instead
    assert.deepEqual(c.received("message"), []);
  });

  test("text is plain: markup is delivered as is; control characters but newline and tab are removed", async () => {
    const room = uniqueRoom("plain");
    const a = await user(url, unique("pa"));
    const b = await user(url, unique("pb"));
    await join(a, room);
    await join(b, room);
    const markup = `<img src=x onerror="alert(1)"> <b>bold</b> & "quotes" — ünïcode 😀`;
    await ask(a, "message", { room, text: markup });
    assert.equal((await b.waitFor("message")).text, markup);
    await ask(a, "message", { room, text: "line 1\r\nline 2\tcol\u0000\u0007" });
    assert.equal((await b.waitFor("message")).text, "line 1\nline 2\tcol");
  });

  test("limits: 2000 characters pass, 2001 are refused with 'too long' and not delivered", async () => {
    const room = uniqueRoom("limits");
    const a = await user(url, unique("la"));
    const b = await user(url, unique("lb"));
    await join(a, room);
    await join(b, room);

    assert.deepEqual(await ask(a, "message", { room, text: "y".repeat(2001) }), { ok: false, error: "too long" });
    assert.deepEqual(await ask(a, "message", { room, text: "😀".repeat(2001) }), { ok: false, error: "too long" });
    await nothing(b, "message");

    assert.equal((await ask(a, "message", { room, text: "x".repeat(2000) })).ok, true);
    assert.equal((await b.waitFor("message")).text.length, 2000);
    // Characters, not bytes or UTF-16 units: 2000 emoji are 8000 bytes.
    assert.equal((await ask(a, "message", { room, text: "😀".repeat(2000) })).ok, true);
    assert.equal([...(await b.waitFor("message")).text].length, 2000);
  });

  test("empty, malformed and misaddressed messages are refused", async () => {
    const room = uniqueRoom("bad");
    const a = await user(url, unique("ba"));
    await join(a, room);
    assert.deepEqual(await ask(a, "message", { room, text: "" }), { ok: false, error: "empty message" });
    assert.deepEqual(await ask(a, "message", { room, text: " \n\t " }), { ok: false, error: "empty message" });
    assert.deepEqual(await ask(a, "message", "just text"), { ok: false, error: "invalid message" });
    assert.deepEqual(await ask(a, "message", { room, text: 5 }), { ok: false, error: "invalid message" });
    assert.deepEqual(await ask(a, "message", { text: "no room" }), { ok: false, error: "invalid message" });
    assert.deepEqual(await ask(a, "message", { room: "#random", text: "not joined" }), {
      ok: false,
      error: "not in room",
    });
  });

  test("rate limit: past 10 messages a second, the excess gets an error event and is not delivered", async () => {
    const room = uniqueRoom("rate");
    const a = await user(url, unique("spam"));
    const b = await user(url, unique("reader"));
    await join(a, room);
    await join(b, room);

    const acks = await Promise.all(Array.from({ length: 15 }, (_, i) => ask(a, "message", { room, text: `m${i}` })));
    assert.deepEqual(
      acks.map((x) => x.ok),
      [...Array(10).fill(true), ...Array(5).fill(false)],
    );
    for (const refusal of acks.slice(10)) assert.deepEqual(refusal, { ok: false, error: "rate limited" });
    await eventually(async () => assert.equal(a.received("error").length, 5));
    for (const error of a.received("error")) assert.deepEqual(error, { message: "rate limited" });

    await sleep(300);
    assert.deepEqual(
      b.received("message").map((m) => m.text),
      Array.from({ length: 10 }, (_, i) => `m${i}`),
    );

    await sleep(1100); // the window has passed
    assert.equal((await ask(a, "message", { room, text: "calm again" })).ok, true);
  });

  test("history: the last 50 messages of the room come with the join, oldest first", async () => {
    const room = uniqueRoom("history");
    const senders = await Promise.all(Array.from({ length: 6 }, () => user(url, unique("h"))));
    for (const s of senders) await join(s, room);
    let n = 0;
    for (const s of senders) {
      for (let i = 0; i < 10; i++) assert.equal((await ask(s, "message", { room, text: `h${++n}` })).ok, true);
    }
    const late = await user(url, unique("late"));
    const reply = await join(late, room);
    assert.equal(reply.history.length, 50);
    assert.deepEqual(
      reply.history.map((m) => m.text),
      Array.from({ length: 50 }, (_, i) => `h${i + 11}`),
    );
    for (let i = 1; i < 50; i++) assert.ok(reply.history[i].id > reply.history[i - 1].id);
    for (const m of reply.history) {
      assert.deepEqual(Object.keys(m).sort(), ["from", "id", "room", "text", "ts"]);
      assert.equal(m.room, room);
    }
    assert.equal(reply.history.at(-1).from, senders[5].auth.name);
    // Other rooms keep their own history.
    const general = await join(late, "#general");
    assert.ok(general.history.every((m) => m.room === "#general"));
  });
});

describe("typing", () => {
  test("typing is broadcast to the other members of the room only", async () => {
    const room = uniqueRoom("typing");
    const [a, b, c] = await Promise.all([unique("ta"), unique("tb"), unique("tc")].map((n) => user(url, n)));
    await join(a, room);
    await join(b, room);
    await join(c, "#random");

    a.emit("typing", { room, typing: true });
    assert.deepEqual(await b.waitFor("typing"), { room, name: a.auth.name, typing: true });
    a.emit("typing", { room, typing: false });
    assert.deepEqual(await b.waitFor("typing"), { room, name: a.auth.name, typing: false });

    // Not to the typist, not to other rooms, not for rooms the typist is not in.
    a.emit("typing", { room: "#random", typing: true });
    a.emit("typing", "garbage");
    await nothing(a, "typing");
    assert.deepEqual(c.received("typing"), []);
    assert.equal(b.received("typing").length, 2);
  });
});

describe("connections", () => {
  test("long-polling clients and WebSocket clients chat together", async () => {
    const room = uniqueRoom("transports");
    const polling = await user(url, unique("poll"), { transports: ["polling"] });
    const ws = await user(url, unique("ws"));
    await join(polling, room);
    await join(ws, room);
    assert.equal(polling.io.engine.transport.name, "polling");
    await ask(polling, "message", { room, text: "from polling" });
    assert.equal((await ws.waitFor("message")).text, "from polling");
    await ask(ws, "message", { room, text: "from websocket" });
    assert.equal((await polling.waitFor("message")).text, "from websocket");
  });

  test("after a dropped connection the client reconnects with the same name and rejoins", async () => {
    const room = uniqueRoom("reconnect");
    const name = unique("Rita");
    const watcher = await user(url, unique("watch"));
    await join(watcher, room);
    const rita = client(url, { name }, { reconnection: true, reconnectionDelay: 100, reconnectionDelayMax: 200 });
    await new Promise((resolve) => rita.once("connect", resolve));
    await join(rita, room);
    await ask(rita, "message", { room, text: "before the drop" });

    const back = new Promise((resolve) => rita.io.once("reconnect", resolve));
    rita.io.engine.close(); // the transport dies; socket.io-client reconnects by itself
    await back;
    await eventually(() => assert.ok(rita.connected));
    const reply = await join(rita, room); // what the page does: rejoin its rooms
    assert.deepEqual(reply.users.sort(), [name, watcher.auth.name].sort());
    assert.deepEqual(reply.history.map((m) => m.text), ["before the drop"]);
    await ask(rita, "message", { room, text: "after the drop" });
    assert.equal((await watcher.waitFor("message", (m) => m.text === "after the drop")).from, name);
  });

  test("a connection that died without the server noticing is replaced by the page's new one", async () => {
    const proxy = await startProxy(server.port);
    try {
      const room = uniqueRoom("halfopen");
      const name = unique("Hal");
      const watcher = await user(url, unique("hw"));
      await join(watcher, room);
      const hal = client(proxy.url, { name, session: "hal-session" }, {
        reconnection: true,
        reconnectionDelay: 100,
        reconnectionDelayMax: 200,
      });
      await new Promise((resolve) => hal.once("connect", resolve));
      await join(hal, room);
      await watcher.waitFor("presence", (p) => p.room === room && p.users.includes(name));

      const back = new Promise((resolve) => hal.io.once("reconnect", resolve));
      proxy.cutClients(); // the server still believes the old connection is alive
      await back;
      // The server closes the old connection when the new one takes the name (its
      // WebSocket closing handshake cannot complete, so that takes up to 5 s).
      await eventually(() => assert.equal(proxy.closedByServer, 1), 10000);
      const reply = await join(hal, room);
      assert.deepEqual(reply.users.sort(), [name, watcher.auth.name].sort());
      await ask(hal, "message", { room, text: "still me" });
      assert.equal((await watcher.waitFor("message")).from, name);
      // The old socket's departure leaves the name in the room (the new socket is in it).
      await sleep(200);
      const last = watcher.received("presence").filter((p) => p.room === room).at(-1);
      assert.ok(last.users.includes(name), JSON.stringify(last));
    } finally {
      await proxy.close();
    }
  });

  test("many clients at once: one name wins, every message arrives exactly once", async () => {
    // Ten clients race for one name: exactly one gets it.
    const contested = unique("Contested");
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => connect(url, { name: contested })));
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
    for (const r of results.filter((x) => x.status === "rejected")) assert.equal(r.reason.message, "name taken");

    const room = uniqueRoom("crowd");
    const crowd = await Promise.all(Array.from({ length: 20 }, () => user(url, unique("crowd"))));
    await Promise.all(crowd.map((s) => join(s, room)));
    const acks = await Promise.all(
      crowd.flatMap((s, i) => Array.from({ length: 5 }, (_, k) => ask(s, "message", { room, text: `${i}:${k}` }))),
    );
    assert.ok(acks.every((a) => a.ok));
    assert.equal(new Set(acks.map((a) => a.id)).size, 100);
    for (const [i, s] of crowd.entries()) {
      await eventually(() => assert.equal(s.received("message").length, 95));
      const texts = s.received("message").map((m) => m.text);
      assert.equal(new Set(texts).size, 95);
      assert.ok(!texts.some((t) => t.startsWith(`${i}:`)));
    }
    const late = await user(url, unique("latecomer"));
    const reply = await join(late, room);
    assert.equal(reply.users.length, 21);
    assert.equal(reply.history.length, 50);
    const ids = reply.history.map((m) => m.id);
    assert.deepEqual(ids, [...ids].sort((x, y) => x - y));
  });

  test("the server exits with code 0 on SIGINT and on SIGTERM, with clients connected", async () => {
    for (const signal of ["SIGINT", "SIGTERM"]) {
      const own = await startChat(["--threads", "2"]);
      const socket = await user(own.url, unique("bye"));
      await join(socket, "#general");
      const gone = new Promise((resolve) => socket.once("disconnect", resolve));
      await own.stop(signal); // asserts exit code 0
      await gone;
    }
  });
});

test("no event handler threw on the server during these tests", () => {
  // The server reports exceptions escaping its handlers on stderr ("chat: <where>: <what>").
  assert.equal(server.logs().stderr, "");
});
