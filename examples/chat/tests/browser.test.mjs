// The chat page in a real browser: Debian's Chromium (headless, driven by npm
// playwright-core, which never downloads a browser of its own) against the C++ chat
// server named by CHAT_SERVER. Each test saves screenshots to tests/screenshots/.
//
//   CHAT_SERVER=/path/to/chat node --test --test-reporter=./reporter.mjs browser.test.mjs
//   CHROMIUM=/path/to/chromium ...   another browser binary (default /usr/bin/chromium)

import { after, afterEach, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startChat } from "./lib/server.mjs";
import { startProxy } from "./lib/proxy.mjs";
import { eventually } from "./lib/client.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SCREENSHOTS = path.join(HERE, "screenshots");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

let server;
let browser;
const contexts = new Set();

before(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no browser at ${CHROMIUM}: apt-get install --no-install-recommends chromium (or set CHROMIUM)`);
  }
  mkdirSync(SCREENSHOTS, { recursive: true });
  server = await startChat(["--threads", "2"]);
  // launch() gives the browser a fresh, temporary user-data dir.
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
});

afterEach(async () => {
  for (const context of contexts) await context.close();
  contexts.clear();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

let counter = 0;
const unique = (prefix) => `${prefix}${++counter}`;

async function shot(page, name) {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
}

/** A new browser profile on the chat page; `problems` collects page errors. */
async function openPage(url = server.url) {
  const context = await browser.newContext({ viewport: { width: 1180, height: 720 } });
  contexts.add(context);
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console error: ${message.text()}`);
  });
  await page.goto(url);
  return { page, problems };
}

/** Signs in as `name` and waits for #general to be open. */
async function signIn(page, name) {
  await page.fill("#login-name", name);
  await page.click("#login-submit");
  await page.locator("#chat-view").waitFor({ state: "visible" });
  await eventually(async () => assert.equal(await page.textContent("#room-title"), "#general"));
  await eventually(async () => assert.ok((await presence(page)).includes(name)));
}

async function openChat(name, url) {
  const opened = await openPage(url);
  await signIn(opened.page, name);
  return opened;
}

const texts = (page) => page.locator("#messages .message .text").allInnerTexts();
const presence = (page) => page.locator("#presence-list .name").allInnerTexts();

async function send(page, text) {
  await page.fill("#message-input", text);
  await page.press("#message-input", "Enter");
}

/** Waits until `page` shows `text` in the message list. */
function shows(page, text, ms = 5000) {
  return eventually(async () => assert.ok((await texts(page)).includes(text), `"${text}" not shown`), ms);
}

function textIs(page, selector, expected, ms = 5000) {
  return eventually(async () => assert.equal((await page.textContent(selector)).trim(), expected), ms);
}

test("the sign-in page renders and explains refused nicknames", async () => {
  const { page, problems } = await openPage();
  await page.locator("#login-form").waitFor({ state: "visible" });
  assert.equal(await page.title(), "Chat · socketio-cpp");
  await shot(page, "01-sign-in");

  await page.fill("#login-name", "   ");
  await page.click("#login-submit");
  await textIs(page, "#login-error", "Please enter a nickname.");

  const name = unique("Alice");
  await openChat(name);
  await page.fill("#login-name", name.toUpperCase());
  await page.click("#login-submit");
  await textIs(page, "#login-error", `“${name.toUpperCase()}” is already taken. Pick another nickname.`);
  assert.ok(await page.locator("#login-form").isVisible());
  await shot(page, "02-name-taken");

  // Another name gets in from the same page.
  await signIn(page, unique("Other"));
  assert.deepEqual(problems, []);
});

test("two people chat in a room: messages, sent marks, presence and typing", async () => {
  const aliceName = unique("alice");
  const bobName = unique("bob");
  const alice = await openChat(aliceName);
  const bob = await openChat(bobName);

  // Presence on both sides.
  for (const { page } of [alice, bob]) {
    await eventually(async () => {
      const people = await presence(page);
      assert.ok(people.includes(aliceName) && people.includes(bobName), people.join(","));
    });
  }

  // Bob types: Alice sees it.
  await bob.page.locator("#message-input").pressSequentially("hel", { delay: 20 });
  await textIs(alice.page, "#typing", `${bobName} is typing…`);
  await shot(alice.page, "03-typing");
  await bob.page.locator("#message-input").pressSequentially("lo alice");
  await bob.page.press("#message-input", "Enter");
  await shows(alice.page, "hello alice");
  await textIs(alice.page, "#typing", ""); // a message clears its author's typing line
  // Bob's own copy is marked sent once the server acknowledged it.
  const mine = bob.page.locator("#messages .message.mine", { hasText: "hello alice" });
  await eventually(async () => assert.equal(await mine.getAttribute("data-status"), "sent"));
  assert.match(await mine.locator(".mark").innerText(), /sent/);

  await send(alice.page, "hi bob! 👋");
  await shows(bob.page, "hi bob! 👋");
  const fromAlice = bob.page.locator("#messages .message", { hasText: "hi bob!" });
  assert.equal(await fromAlice.locator(".author").innerText(), aliceName);

  // Markup is shown as text, never interpreted.
  const markup = `<img src=x onerror="document.title='pwned'"><b>not bold</b>`;
  await send(alice.page, markup);
  await shows(bob.page, markup);
  assert.equal(await bob.page.locator("#messages b, #messages img").count(), 0);
  assert.notEqual(await bob.page.title(), "pwned");

  // Multi-line text keeps its lines (Shift+Enter makes a new line).
  await bob.page.fill("#message-input", "line one");
  await bob.page.press("#message-input", "Shift+Enter");
  await bob.page.locator("#message-input").pressSequentially("line two");
  await bob.page.press("#message-input", "Enter");
  await shows(alice.page, "line one\nline two");

  await shot(alice.page, "04-chat-alice");
  await shot(bob.page, "05-chat-bob");
  assert.deepEqual(alice.problems, []);
  assert.deepEqual(bob.problems, []);
});

test("the typing line clears by itself 3 s after the last keystroke", async () => {
  const carol = await openChat(unique("carol"));
  const danName = unique("dan");
  const dan = await openChat(danName);
  await dan.page.locator("#message-input").pressSequentially("thinking", { delay: 10 });
  await textIs(carol.page, "#typing", `${danName} is typing…`);
  const seen = Date.now();
  await textIs(carol.page, "#typing", "", 6000);
  const cleared = Date.now() - seen;
  assert.ok(cleared > 1500 && cleared < 4500, `cleared after ${cleared} ms`);
});

test("a newcomer sees the room's history", async () => {
  const erin = await openChat(unique("erin"));
  const lines = ["first message for later", "second message for later", "third message for later"];
  for (const line of lines) await send(erin.page, line);
  await eventually(async () =>
    assert.equal(await erin.page.locator('#messages .message.mine[data-status="sent"]').count(), 3),
  );

  const frank = await openChat(unique("frank"));
  for (const line of lines) await shows(frank.page, line);
  const shown = await texts(frank.page);
  // In the order they were sent.
  assert.deepEqual(
    shown.filter((t) => lines.includes(t)),
    lines,
  );
  await shot(frank.page, "06-history");
  assert.deepEqual(frank.problems, []);
});

test("rooms: create one, see it appear elsewhere, join it from the list, leave it", async () => {
  const gina = await openChat(unique("gina"));
  const hankName = unique("hank");
  const hank = await openChat(hankName);
  const room = `#dev-talk-${++counter}`;

  // A bad name is explained; a name without '#' or in capitals is normalized.
  await gina.page.fill("#room-input", "no spaces allowed");
  await gina.page.click("#room-join");
  await textIs(gina.page, "#room-error", "Room names are # followed by 1 to 32 of a-z, 0-9 and -.");
  await gina.page.fill("#room-input", room.slice(1).toUpperCase());
  await gina.page.click("#room-join");
  await textIs(gina.page, "#room-title", room);
  assert.equal(await gina.page.isVisible("#room-error"), false);

  // Hank sees the new room in his list, not joined yet, and joins with a click.
  const entry = hank.page.locator(`#room-list button[data-room="${room}"]`);
  await entry.waitFor();
  assert.equal(await entry.getAttribute("class"), "room");
  await entry.click();
  await textIs(hank.page, "#room-title", room);
  await eventually(async () => assert.deepEqual((await presence(gina.page)).sort(), [await gina.page.textContent("#me-name"), hankName].sort()));

  await send(gina.page, "welcome to the new room");
  await shows(hank.page, "welcome to the new room");
  // Not in #general.
  await hank.page.click('#room-list button[data-room="#general"]');
  await textIs(hank.page, "#room-title", "#general");
  assert.ok(!(await texts(hank.page)).includes("welcome to the new room"));

  // Gina writes while Hank looks elsewhere: an unread badge.
  await send(gina.page, "are you there?");
  await eventually(async () => assert.equal(await entry.locator(".badge").innerText(), "1"));
  await shot(hank.page, "07-rooms-unread");
  await entry.click();
  await shows(hank.page, "are you there?");
  assert.equal(await entry.locator(".badge").count(), 0);

  // Hank leaves: Gina's presence list and a line say so.
  await hank.page.click("#leave-room");
  await eventually(async () => assert.deepEqual(await presence(gina.page), [await gina.page.textContent("#me-name")]));
  await eventually(async () =>
    assert.ok((await gina.page.locator("#messages .system").allInnerTexts()).includes(`${hankName} left`)),
  );
  await textIs(hank.page, "#room-title", "#general");
  await shot(gina.page, "08-rooms");
  assert.deepEqual(gina.problems, []);
  assert.deepEqual(hank.problems, []);
});

test("sign out frees the name; a reload keeps the nickname and the rooms", async () => {
  const firstName = unique("nora");
  const { page, problems } = await openChat(firstName);
  await page.click('#room-list button[data-room="#random"]');
  await textIs(page, "#room-title", "#random");

  // A reload: the nickname is offered again and the same rooms are rejoined.
  await page.reload();
  await page.locator("#login-form").waitFor({ state: "visible" });
  assert.equal(await page.inputValue("#login-name"), firstName);
  await page.click("#login-submit");
  await textIs(page, "#room-title", "#general");
  await eventually(async () =>
    assert.deepEqual(await page.locator("#room-list button.joined").evaluateAll((b) => b.map((x) => x.dataset.room)), [
      "#general",
      "#random",
    ]),
  );

  // Signing out frees the name at once; signing in again under another name works.
  await page.click("#logout");
  await page.locator("#login-form").waitFor({ state: "visible" });
  const other = await openChat(firstName);
  await signIn(page, unique("olga"));
  assert.ok((await presence(other.page)).length >= 1);
  await shot(page, "09-signed-in-again");
  assert.deepEqual(problems, []);
  assert.deepEqual(other.problems, []);
});

test("the composer counts characters and will not send more than 2000", async () => {
  const { page, problems } = await openChat(unique("ivy"));
  await page.fill("#message-input", "😀".repeat(10));
  await textIs(page, "#counter", "10/2000"); // characters, not UTF-16 units
  await page.fill("#message-input", "x".repeat(2001));
  await textIs(page, "#counter", "2001/2000");
  assert.ok(await page.locator("#counter.over").isVisible());
  assert.ok(await page.isDisabled("#send"));
  await page.press("#message-input", "Enter");
  assert.equal(await page.inputValue("#message-input"), "x".repeat(2001)); // not sent
  await shot(page, "10-too-long");
  await page.fill("#message-input", "x".repeat(2000));
  assert.ok(await page.isEnabled("#send"));
  await page.click("#send");
  await eventually(async () =>
    assert.equal(await page.locator('#messages .message.mine[data-status="sent"]').count(), 1),
  );
  assert.deepEqual(problems, []);
});

test("sending faster than 10 messages a second: the excess is refused and the page says so", async () => {
  const jack = await openChat(unique("jack"));
  const kim = await openChat(unique("kim"));
  // Fourteen submissions through the page's own form, as fast as a script can.
  await jack.page.evaluate(() => {
    const input = document.getElementById("message-input");
    const form = document.getElementById("composer");
    for (let i = 1; i <= 14; i++) {
      input.value = `burst ${i}`;
      form.requestSubmit();
    }
  });
  await textIs(jack.page, "#notice", "Slow down: you are sending messages too fast.");
  const statuses = () => jack.page.locator("#messages .message.mine").evaluateAll((nodes) => nodes.map((n) => n.dataset.status));
  await eventually(async () => assert.ok(!(await statuses()).includes("pending")));
  // Ten sent, then the four refused ones, in the order they were written.
  assert.deepEqual(await statuses(), [...Array(10).fill("sent"), ...Array(4).fill("failed")]);
  assert.deepEqual(
    (await texts(jack.page)).filter((t) => t.startsWith("burst ")),
    Array.from({ length: 14 }, (_, i) => `burst ${i + 1}`),
  );
  assert.match(await jack.page.locator('#messages .message[data-status="failed"] .mark').first().innerText(), /rate limited/);
  await shot(jack.page, "11-rate-limited");
  // Kim got the ten that were accepted, no more.
  await shows(kim.page, "burst 10");
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal((await texts(kim.page)).filter((t) => t.startsWith("burst ")).length, 10);
});

test("after a network drop the page reconnects, rejoins its rooms and says so", async () => {
  const proxy = await startProxy(server.port);
  try {
    const lenaName = unique("lena");
    const lena = await openChat(lenaName, proxy.url);
    const max = await openChat(unique("max"));
    // Lena is in #general and #random.
    await lena.page.click('#room-list button[data-room="#random"]');
    await textIs(lena.page, "#room-title", "#random");
    await lena.page.click('#room-list button[data-room="#general"]');
    await textIs(lena.page, "#room-title", "#general");

    // The network between Lena and the server dies; the server is not told.
    proxy.cutClients();
    await textIs(lena.page, "#status", "reconnecting…");
    assert.ok(await lena.page.isDisabled("#send"));
    await shot(lena.page, "12-reconnecting");
    await textIs(lena.page, "#status", "reconnected", 10000);
    await textIs(lena.page, "#notice", "Reconnected. Rejoined #general, #random.");
    await shot(lena.page, "13-reconnected");

    // Both rooms work again, both ways.
    await send(max.page, "did you get this, lena?");
    await shows(lena.page, "did you get this, lena?");
    await send(lena.page, "yes, I am back");
    await shows(max.page, "yes, I am back");
    await eventually(async () => {
      const people = await presence(max.page);
      assert.equal(people.filter((n) => n === lenaName).length, 1, people.join(","));
    }, 10000);
    await lena.page.click('#room-list button[data-room="#random"]');
    await textIs(lena.page, "#room-title", "#random");
    await send(lena.page, "random is back too");
    await eventually(async () =>
      assert.equal(
        await lena.page.locator('#messages .message.mine[data-status="sent"]', { hasText: "random is back too" }).count(),
        1,
      ),
    );
    assert.deepEqual(max.problems, []);
    // Lena's page may log the failed connection attempts; nothing else.
    assert.deepEqual(
      lena.problems.filter((p) => !/net::ERR_|WebSocket connection|Failed to load resource/.test(p)),
      [],
    );
  } finally {
    await proxy.close();
  }
});

test("no event handler threw on the server during these tests", () => {
  assert.equal(server.logs().stderr, "");
});
