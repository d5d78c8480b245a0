// socket.io-client helpers for the protocol tests: connect with a nickname, wait for
// events (every incoming event is recorded from the start, so none is missed), emit
// with an acknowledgement.

import { io } from "socket.io-client";

const open = new Set();

/** Every event the socket receives, recorded; waitFor() takes them in order. */
export function record(socket) {
  const log = [];
  const waiters = new Set();
  socket.onAny((event, ...args) => {
    const entry = { event, args, taken: false };
    log.push(entry);
    for (const waiter of [...waiters]) waiter(entry);
  });
  socket.events = log;
  /** The first argument of the next not-yet-taken `event` matching `predicate`. */
  socket.waitFor = (event, predicate = () => true, ms = 5000) =>
    new Promise((resolve, reject) => {
      const matches = (entry) => !entry.taken && entry.event === event && predicate(...entry.args);
      const found = log.find(matches);
      if (found) {
        found.taken = true;
        resolve(found.args[0]);
        return;
      }
      const waiter = (entry) => {
        if (!matches(entry)) return;
        entry.taken = true;
        clearTimeout(timer);
        waiters.delete(waiter);
        resolve(entry.args[0]);
      };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        const seen = log.map((e) => e.event).join(", ") || "nothing";
        reject(new Error(`${socket.auth?.name ?? "client"}: no "${event}" within ${ms} ms (saw: ${seen})`));
      }, ms);
      waiters.add(waiter);
    });
  /** The recorded `event`s, first arguments only. */
  socket.received = (event) => log.filter((e) => e.event === event).map((e) => e.args[0]);
  return socket;
}

/** A socket with the given auth, not connected yet. */
export function client(url, auth, options = {}) {
  const socket = io(url, {
    forceNew: true,
    reconnection: false,
    transports: ["websocket"],
    auth,
    ...options,
  });
  open.add(socket);
  return record(socket);
}

/** Connects with `auth`; resolves with the socket, rejects with the connect_error. */
export function connect(url, auth, options = {}) {
  const socket = client(url, auth, options);
  return new Promise((resolve, reject) => {
    const onConnect = () => {
      socket.off("connect_error", onError);
      resolve(socket);
    };
    const onError = (err) => {
      socket.off("connect", onConnect);
      if (socket.active) return; // a network retry; wait for the outcome
      socket.close();
      open.delete(socket);
      reject(err);
    };
    socket.once("connect", onConnect);
    socket.on("connect_error", onError);
  });
}

/** Connects `name` and waits for its welcome; returns the socket. */
export async function user(url, name, options = {}) {
  const socket = await connect(url, { name }, options);
  await socket.waitFor("welcome");
  return socket;
}

/** Emits with an acknowledgement; resolves with the server's answer. */
export function ask(socket, event, ...args) {
  return socket.timeout(5000).emitWithAck(event, ...args);
}

/** Joins `room` and checks the acknowledgement; returns it. */
export async function join(socket, room) {
  const reply = await ask(socket, "join", room);
  if (!reply?.ok) throw new Error(`join ${room} failed: ${JSON.stringify(reply)}`);
  return reply;
}

export function closeAll() {
  for (const socket of open) socket.close();
  open.clear();
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Retries `attempt` until it resolves or `ms` passed. */
export async function eventually(attempt, ms = 5000, every = 50) {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(every);
    }
  }
}
