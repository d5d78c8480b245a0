// Interop test: socket.io-client (the npm bundle socket.io.min.js) in Debian's Chromium,
// driven headless by playwright-core, against the conformance server
// (shared/conformance-server.md).
//
// index.html and socket.io.min.js are served by a tiny static HTTP server on one free port
// of 127.0.0.1; the server under test is on another, so the page talks to it cross-origin
// (the server must answer with Access-Control-Allow-Origin: *). The page runs its checks,
// writes them to the DOM, and this file asserts each one and saves a screenshot.
//
//   cd tests/interop/browser && npm ci     # playwright-core; never downloads a browser
//   SOCKETIO_SERVER=/path/to/conformance_server \
//     node --test --test-reporter=../reporter.mjs browser.test.mjs
//   SOCKETIO_REFERENCE=node node --test --test-reporter=../reporter.mjs browser.test.mjs
//
// Needs: Debian's chromium (/usr/bin/chromium, or CHROMIUM=/path), tests/interop/node_modules
// (npm ci in tests/interop: socket.io-client) and, for the reference,
// benchmarks/node-reference/node_modules. The screenshot is screenshot.png (C++ server) or
// screenshot-node-reference.png (SOCKETIO_REFERENCE=node), both git-ignored.

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rename, rm } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

import { HOST, REPO_ROOT, startServer } from "../lib/server.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CLIENT_DIST = path.join(REPO_ROOT, "tests", "interop", "node_modules", "socket.io-client", "dist");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const REFERENCE = process.env.SOCKETIO_REFERENCE === "node";
const SCREENSHOT = path.join(HERE, REFERENCE ? "screenshot-node-reference.png" : "screenshot.png");
const PAGE_TIMEOUT_MS = 60_000;

// What the page must report, each a test here (in the page's order).
const EXPECTED_CHECKS = [
  "connect (cross-origin)",
  "auth event echoes handshake.auth",
  "upgrade to websocket observed",
  "message-back with binary (ArrayBuffer) over websocket",
  "message-with-ack",
  "join + to-room",
  "message-back with binary over polling only",
  "message-back with binary over websocket only",
];

const FILES = {
  "/": { file: path.join(HERE, "index.html"), type: "text/html; charset=utf-8" },
  "/index.html": { file: path.join(HERE, "index.html"), type: "text/html; charset=utf-8" },
  "/socket.io.min.js": { file: path.join(CLIENT_DIST, "socket.io.min.js"), type: "text/javascript; charset=utf-8" },
  "/socket.io.min.js.map": { file: path.join(CLIENT_DIST, "socket.io.min.js.map"), type: "application/json" },
};

/** The page's origin: a static server on its own free port of 127.0.0.1. */
function startStaticServer() {
  const server = http.createServer(async (req, res) => {
    const entry = FILES[new URL(req.url, "http://x").pathname];
    if (!entry || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    try {
      const body = await readFile(entry.file);
      res.writeHead(200, { "content-type": entry.type, "cache-control": "no-store" });
      res.end(req.method === "HEAD" ? undefined : body);
    } catch (err) {
      res.writeHead(500, { "content-type": "text/plain" }).end(String(err));
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: HOST, port: 0 }, () => resolve(server));
  });
}

describe(`Chromium + socket.io-client vs ${REFERENCE ? "the Node reference" : "conformance_server"}`, () => {
  let server; // the server under test
  let statics; // the page's origin
  let context; // the browser (persistent context in a fresh user-data dir)
  let userDataDir;
  let results = []; // [{name, ok, detail}] from the page
  const pageErrors = [];
  const consoleLines = [];

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM} (apt-get install -y --no-install-recommends chromium)`);
    assert.ok(
      existsSync(path.join(CLIENT_DIST, "socket.io.min.js")),
      `no ${CLIENT_DIST}/socket.io.min.js: run npm ci in tests/interop`,
    );
    server = await startServer();
    statics = await startStaticServer();
    userDataDir = await mkdtemp(path.join(os.tmpdir(), "socketio-chromium-"));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1100, height: 560 },
      timeout: 30_000,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    page.on("pageerror", (err) => pageErrors.push(String(err)));
    page.on("console", (msg) => consoleLines.push(`${msg.type()}: ${msg.text()}`));

    const pageUrl = `http://${HOST}:${statics.address().port}/index.html?server=${encodeURIComponent(server.url)}`;
    await page.goto(pageUrl, { waitUntil: "load" });
    try {
      await page.waitForSelector("body[data-done=true]", { timeout: PAGE_TIMEOUT_MS });
    } finally {
      // A screenshot either way: of the results, or of how far the page got. Written
      // under a temporary name and renamed, so that a reader never sees half a file.
      const tmp = `${SCREENSHOT}.${process.pid}.tmp`;
      await page.screenshot({ path: tmp, fullPage: true, type: "png" });
      await rename(tmp, SCREENSHOT);
    }
    results = JSON.parse(await page.locator("#results").textContent());
  });

  after(async () => {
    await context?.close().catch(() => {});
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
    await new Promise((resolve) => (statics ? statics.close(resolve) : resolve()));
    // server.stop() is its own test below; this only makes sure it is not left running.
    if (server?.alive) await server.stop().catch(() => {});
  });

  test("the page ran every check, with no page error", () => {
    assert.deepEqual(
      results.map((r) => r.name),
      EXPECTED_CHECKS,
      `checks reported by the page (console:\n${consoleLines.join("\n")})`,
    );
    assert.deepEqual(pageErrors, [], "uncaught errors in the page");
  });

  for (const name of EXPECTED_CHECKS) {
    test(name, () => {
      const r = results.find((x) => x.name === name);
      assert.ok(r, `the page did not report "${name}"`);
      assert.ok(r.ok, r.detail);
    });
  }

  test("screenshot saved", () => {
    assert.ok(existsSync(SCREENSHOT), SCREENSHOT);
  });

  test("server is still up, and exits with code 0 on SIGTERM", async () => {
    assert.ok(server.alive, "the server under test exited during the run");
    await context.close();
    await server.stop();
  });
});
