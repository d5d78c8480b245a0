// socket.io-client helpers for the cluster tests: clients that log every event they get,
// acks with a time limit, and "exactly once" delivery checks.
//
//   const pool = new ClientPool();
//   const c = await pool.connect(node, { transport: "polling" });   // or "websocket", "upgrade"
//   await c.ack("whoami");                 // the ack's first argument (rejects after a timeout)
//   await expectOnce({ targets: [c, d], others: [e], event: "broadcast", token });
//   await pool.closeAll();

import assert from "node:assert/strict";
import { io } from "socket.io-client";

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let tokenCounter = 0;
/** A string unique to this run, to tell one test's deliveries from another's. */
export function uniqueToken(prefix = "t") {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${++tokenCounter}`;
}

/** Polls `check` (sync or async) until it returns a truthy value; throws `what` after timeoutMs. */
export async function waitUntil(check, { timeoutMs = 5000, intervalMs = 25, what = "condition" } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await check();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

const TRANSPORTS = {
  websocket: ["websocket"],
  polling: ["polling"],
  upgrade: ["polling", "websocket"],
};

export class TestClient {
  constructor(socket, { where, transport }) {
    this.socket = socket;
    this.where = where;
    this.transport = transport;
    this.events = []; // { event, args, at }
    this.disconnects = []; // reasons
    this.listeners = new Set();
    socket.onAny((event, ...args) => {
      // An event with an ack callback (the server asks): leave it to the test's handler.
      const rec = { event, args, at: Date.now() };
      this.events.push(rec);
      for (const l of this.listeners) l(rec);
    });
    socket.on("disconnect", (reason) => this.disconnects.push(reason));
  }

  get id() {
    return this.socket.id;
  }

  get label() {
    return `client ${this.id} on ${this.where} (${this.transport})`;
  }

  /** Emits `event, ...args` with an ack; resolves to the ack's first argument. */
  async ack(event, ...args) {
    return (await this.ackAll(event, ...args))[0];
  }

  /** Same, resolving to every argument of the ack. */
  ackAll(event, ...args) {
    const timeoutMs = 8000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.label}: no ack to "${event}" within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.socket.emit(event, ...args, (...reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
    });
  }

  emit(event, ...args) {
    this.socket.emit(event, ...args);
  }

  /** The logged events named `event` whose arguments satisfy `match(args)`. */
  received(event, match = () => true) {
    return this.events.filter((e) => e.event === event && match(e.args));
  }

  /** Resolves with the first (logged or future) matching event; rejects after timeoutMs. */
  waitFor(event, match = () => true, timeoutMs = 5000) {
    const already = this.received(event, match)[0];
    if (already) return Promise.resolve(already);
    return new Promise((resolve, reject) => {
      const listener = (rec) => {
        if (rec.event === event && match(rec.args)) {
          clearTimeout(timer);
          this.listeners.delete(listener);
          resolve(rec);
        }
      };
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`${this.label}: no "${event}" matching within ${timeoutMs} ms; got ${this.summary()}`));
      }, timeoutMs);
      this.listeners.add(listener);
    });
  }

  /** Resolves with the disconnect reason (rejects after timeoutMs). */
  waitForDisconnect(timeoutMs = 5000) {
    if (this.disconnects.length) return Promise.resolve(this.disconnects[0]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.label}: still connected after ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.socket.once("disconnect", (reason) => {
        clearTimeout(timer);
        resolve(reason);
      });
    });
  }

  summary() {
    const last = this.events.slice(-6).map((e) => `${e.event}(${JSON.stringify(e.args).slice(0, 120)})`);
    return last.length ? last.join(", ") : "no events";
  }

  close() {
    this.socket.disconnect();
  }
}

export class ClientPool {
  constructor() {
    this.clients = [];
  }

  /**
   * Connects to `target` ({ url, name } of a node, or of nginx) over `transport`, waits for
   * the connection (and for the server's "auth" event, the contract's first emit).
   */
  async connect(target, { transport = "websocket", query, auth, path, timeoutMs = 10000 } = {}) {
    const socket = io(target.url, {
      transports: TRANSPORTS[transport],
      forceNew: true,
      reconnection: false,
      timeout: timeoutMs,
      query,
      auth,
      path,
    });
    const client = new TestClient(socket, { where: target.name ?? target.url, transport });
    this.clients.push(client);
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no connection to ${target.url} (${transport}) within ${timeoutMs} ms`)), timeoutMs);
      socket.once("connect", () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once("connect_error", (err) => {
        clearTimeout(timer);
        reject(new Error(`connect_error from ${target.url} (${transport}): ${err.message}`));
      });
    });
    await client.waitFor("auth", () => true, timeoutMs);
    return client;
  }

  closeAll() {
    for (const c of this.clients) c.close();
    this.clients = [];
  }
}

/**
 * Waits until every target got `event` whose first argument is `token` (or that satisfies
 * `match`), waits `settleMs` more for duplicates, then asserts each target got it exactly
 * once and none of `others` got it. Returns the targets' matching argument lists.
 */
export async function expectOnce({ targets, others = [], event, token, match, timeoutMs = 5000, settleMs = 300 }) {
  const pred = match ?? ((args) => args[0] === token);
  const results = await Promise.allSettled(targets.map((c) => c.waitFor(event, pred, timeoutMs)));
  await sleep(settleMs);
  const problems = [];
  for (const [i, c] of targets.entries()) {
    const n = c.received(event, pred).length;
    if (n !== 1) {
      problems.push(`${c.label}: expected "${event}" ${token ?? ""} exactly once, got it ${n} times` +
        (results[i].status === "rejected" ? ` (${results[i].reason.message})` : ""));
    }
  }
  for (const c of others) {
    const n = c.received(event, pred).length;
    if (n !== 0) problems.push(`${c.label}: expected no "${event}" ${token ?? ""}, got it ${n} times`);
  }
  assert.ok(problems.length === 0, problems.join("\n"));
  return targets.map((c) => c.received(event, pred)[0].args);
}

/** Normalizes a received binary value (Buffer, ArrayBuffer, typed array) to a Buffer. */
export function toBuffer(x) {
  if (Buffer.isBuffer(x)) return x;
  if (x instanceof ArrayBuffer) return Buffer.from(x);
  if (ArrayBuffer.isView(x)) return Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  throw new Error(`not binary: ${JSON.stringify(x)}`);
}

/** Deep copy where every binary value becomes a Buffer (for deepEqual on payloads). */
export function normalizeBinary(v) {
  if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) return toBuffer(v);
  if (Array.isArray(v)) return v.map(normalizeBinary);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalizeBinary(x)]));
  return v;
}
