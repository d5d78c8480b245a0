// The notifications page in Debian's Chromium (headless, driven by playwright-core, which
// never downloads a browser) against the notifications server: sign in, receive a toast and
// the unread badge after POST /api/notify, mark as read, a second tab of the same user.
// Screenshots go to tests/screenshots/ (git-ignored).
//
//   cd examples/notifications && npm ci
//   NOTIFY_SERVER=/path/to/build/examples/notifications/notifications \
//     node --test --test-reporter=../../tests/interop/reporter.mjs tests/browser.test.mjs

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rename, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

import { api, startServer } from "./lib/server.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SCREENSHOTS = path.join(HERE, "screenshots");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const WAIT_MS = 10_000;

async function screenshot(page, name) {
  const file = path.join(SCREENSHOTS, name);
  const tmp = `${file}.${process.pid}.tmp`;
  await page.screenshot({ path: tmp, type: "png" });
  await rename(tmp, file);
  return file;
}

describe("the notifications page in Chromium", () => {
  let server;
  let context;
  let userDataDir;
  let page;
  const requests = [];
  const pageErrors = [];
  const consoleErrors = [];

  function watch(p) {
    p.on("request", (req) => requests.push(req.url()));
    p.on("pageerror", (err) => pageErrors.push(String(err)));
    p.on("console", (msg) => {
      if (msg.type() === "error") consoleErrors.push(msg.text());
    });
  }

  const badge = (p = page) => p.locator("#badge");

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM} (apt-get install --no-install-recommends chromium)`);
    await mkdir(SCREENSHOTS, { recursive: true });
    server = await startServer(["--threads", "2"]);
    userDataDir = await mkdtemp(path.join(os.tmpdir(), "notifications-chromium-"));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1000, height: 640 },
      timeout: 30_000,
    });
    page = context.pages()[0] ?? (await context.newPage());
    watch(page);
    await page.goto(`${server.url}/`, { waitUntil: "load" });
  });

  after(async () => {
    await context?.close().catch(() => {});
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
    if (server?.alive) await server.stop().catch(() => {});
  });

  test("signs in as alice with a dev token and connects", async () => {
    await page.locator("#user").fill("alice");
    await page.locator("#signin-button").click();
    await page.locator("#status", { hasText: "connected" }).waitFor({ timeout: WAIT_MS });
    assert.equal(await page.locator("#who").textContent(), "alice");
    assert.equal(await badge().textContent(), "0");
    await screenshot(page, "1-signed-in.png");
  });

  test("POST /api/notify shows a toast, a list entry and the unread badge", async () => {
    const first = await api(server, "/api/notify", { user: "alice", title: "Build finished", body: "main is green" });
    assert.deepEqual([first.status, first.body.delivered], [200, 1]);
    const second = await api(server, "/api/notify", {
      user: "alice",
      title: "New comment on <b>#42</b>",
      body: '<img src=x onerror="document.body.dataset.pwned=1"> looks good to me',
    });
    assert.deepEqual([second.status, second.body.delivered], [200, 1]);

    await page.locator(".toast", { hasText: "Build finished" }).waitFor({ timeout: WAIT_MS });
    await page.locator(".toast", { hasText: "New comment on <b>#42</b>" }).waitFor({ timeout: WAIT_MS });
    await page.locator("#badge", { hasText: /^2$/ }).waitFor({ timeout: WAIT_MS });
    assert.equal(await page.locator("#list .item").count(), 2);
    // Newest first; markup in server text stays text.
    assert.equal(await page.locator("#list .item .item-title").first().textContent(), "New comment on <b>#42</b>");
    assert.equal(await page.locator("#list img, .toast img, #list b").count(), 0);
    assert.equal(await page.evaluate(() => document.body.dataset.pwned ?? null), null);
    assert.match(await page.title(), /^\(2\) /);
    await screenshot(page, "2-toast-and-badge.png");
  });

  test("'Mark as read' is acknowledged: the entry is read and the badge drops to 1", async () => {
    const item = page.locator("#list .item", { hasText: "Build finished" });
    await item.locator("button.mark-read").click();
    await page.locator("#badge", { hasText: /^1$/ }).waitFor({ timeout: WAIT_MS });
    await page.locator("#list .item.read", { hasText: "Build finished" }).waitFor({ timeout: WAIT_MS });
    assert.equal(await item.locator("button.mark-read").isDisabled(), true);
    assert.equal(await page.locator("#list .item:not(.read)").count(), 1);
  });

  test("a second tab of alice lists the unread one; 'Mark all as read' there clears both tabs", async () => {
    const tab2 = await context.newPage();
    watch(tab2);
    try {
      await tab2.goto(`${server.url}/`, { waitUntil: "load" });
      await tab2.locator("#user").fill("alice");
      await tab2.locator("#signin-button").click();
      await tab2.locator("#status", { hasText: "connected" }).waitFor({ timeout: WAIT_MS });
      await tab2.locator("#badge", { hasText: /^1$/ }).waitFor({ timeout: WAIT_MS });
      await tab2.locator("#list .item", { hasText: "New comment" }).waitFor({ timeout: WAIT_MS });

      const third = await api(server, "/api/notify", { user: "alice", title: "Both tabs", body: "hello twice" });
      assert.equal(third.body.delivered, 2);
      for (const p of [page, tab2]) {
        await p.locator(".toast", { hasText: "Both tabs" }).waitFor({ timeout: WAIT_MS });
        await p.locator("#badge", { hasText: /^2$/ }).waitFor({ timeout: WAIT_MS });
      }
      await screenshot(tab2, "3-second-tab.png");

      await tab2.locator("#mark-all").click();
      for (const p of [page, tab2]) {
        await p.locator("#badge.zero", { hasText: /^0$/ }).waitFor({ timeout: WAIT_MS });
        await p.waitForFunction(() => document.querySelectorAll("#list .item:not(.read)").length === 0, null, {
          timeout: WAIT_MS,
        });
      }
      await page.bringToFront();
      await screenshot(page, "4-all-read.png");
    } finally {
      await tab2.close();
    }
  });

  test("the page loaded nothing but its own origin, with no errors", () => {
    const foreign = requests.filter((url) => !url.startsWith(`${server.url}/`) && !url.startsWith("data:"));
    assert.deepEqual(foreign, []);
    assert.ok(requests.some((url) => url.startsWith(`${server.url}/vendor/socket.io.min.js`)));
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(consoleErrors, []);
  });

  test("the server exits with code 0 on SIGTERM", async () => {
    await context.close();
    const { code, signal } = await server.stop();
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, `server stderr:\n${server.logs().stderr.slice(-20000)}`);
  });
});
