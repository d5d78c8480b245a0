#!/usr/bin/env node
// A Node.js cluster node: the conformance server contract (shared/conformance-server.md)
// plus the cluster events, on npm socket.io 4.8 with @socket.io/redis-adapter 8.3 over
// node-redis 4. What the C++ `conformance_server --redis` must behave like in a cluster,
// and the other half of every mixed C++/Node cluster in the tests.
//
//   node node-server.mjs [--host 127.0.0.1] [--port 3000] [--ping-interval 300]
//        [--ping-timeout 200] [--max-payload 1000000] [--connect-timeout 1000]
//        [--transports polling,websocket] [--path /socket.io/]
//        [--redis redis://127.0.0.1:6379] [--name NAME] [--requests-timeout 5000]
//
// Without --redis it is a single node (socket.io's in-memory adapter). --name defaults to
// "HOST:PORT" (the port actually bound, so it works with --port 0). The Redis key is
// "socket.io". Prints `listening on http://HOST:PORT` once it accepts connections and every
// adapter subscription of namespace "/" is in place; exits 0 on SIGINT/SIGTERM.

import { createServer } from "node:http";
import { Server } from "socket.io";
import { createAdapter } from "@socket.io/redis-adapter";
import { createClient } from "redis";

const REDIS_KEY = "socket.io";

// ---------------------------------------------------------------- command line

const USAGE =
  "usage: node node-server.mjs [--host 127.0.0.1] [--port 3000] [--ping-interval 300]\n" +
  "       [--ping-timeout 200] [--max-payload 1000000] [--connect-timeout 1000]\n" +
  "       [--transports polling,websocket] [--path /socket.io/]\n" +
  "       [--redis redis://127.0.0.1:6379] [--name NAME] [--requests-timeout 5000]";

const NUMBER_FLAGS = {
  "--port": "port",
  "--ping-interval": "pingInterval",
  "--ping-timeout": "pingTimeout",
  "--max-payload": "maxPayload",
  "--connect-timeout": "connectTimeout",
  "--requests-timeout": "requestsTimeout",
};
const STRING_FLAGS = { "--host": "host", "--path": "path", "--redis": "redis", "--name": "name" };

function parseCommandLine(argv) {
  const o = {
    host: "127.0.0.1",
    port: 3000,
    pingInterval: 300,
    pingTimeout: 200,
    maxPayload: 1000000,
    connectTimeout: 1000,
    transports: ["polling", "websocket"],
    path: "/socket.io/",
    redis: undefined,
    name: undefined,
    requestsTimeout: 5000,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === "--help" || flag === "-h") {
      console.log(USAGE);
      process.exit(0);
    }
    if (i + 1 >= argv.length) throw new Error(`missing value for ${flag}`);
    const value = argv[++i];
    if (flag in NUMBER_FLAGS) {
      if (!/^\d+$/.test(value)) throw new Error(`${flag} needs a non-negative integer, got ${value}`);
      o[NUMBER_FLAGS[flag]] = Number(value);
    } else if (flag in STRING_FLAGS) {
      o[STRING_FLAGS[flag]] = value;
    } else if (flag === "--transports") {
      const list = value.split(",").map((t) => t.trim()).filter(Boolean);
      if (!list.length || list.some((t) => t !== "polling" && t !== "websocket")) {
        throw new Error(`--transports takes polling and/or websocket, got ${value}`);
      }
      o.transports = list;
    } else {
      throw new Error(`unknown argument: ${flag}`);
    }
  }
  if (o.redis !== undefined && !/^redis:\/\/[^/]+/.test(o.redis)) {
    throw new Error(`--redis needs redis://HOST:PORT, got ${o.redis}`);
  }
  if (o.requestsTimeout === 0) throw new Error("--requests-timeout must be > 0");
  return o;
}

let options;
try {
  options = parseCommandLine(process.argv.slice(2));
} catch (err) {
  console.error(`error: ${err.message}\n${USAGE}`);
  process.exit(2);
}

// A Redis outage must not take the node down: the adapter publishes without awaiting, so a
// publish that fails while Redis is away would otherwise end the process.
let lastRejectionLog = 0;
process.on("unhandledRejection", (reason) => {
  const now = Date.now();
  if (now - lastRejectionLog > 1000) {
    lastRejectionLog = now;
    console.error(`warning: ${reason?.message ?? reason}`);
  }
});

// ---------------------------------------------------------------- handlers

const noop = () => {};
const takeAck = (args) => (typeof args[args.length - 1] === "function" ? args.pop() : noop);
const asAck = (fn) => (typeof fn === "function" ? fn : noop);

function describeSocket(s) {
  return { id: s.id, rooms: [...s.rooms].sort(), data: s.data ?? null };
}

function installHandlers(io, name, clustered) {
  // Server-side events from the other nodes of the cluster (never from this one).
  io.on("sse", (from, ...args) => {
    io.local.emit("sse", name, from, ...args);
  });
  io.on("sse-ack", (from, cb) => {
    cb(name);
  });

  io.on("connection", (socket) => {
    socket.emit("auth", socket.handshake.auth ?? {});

    // ---- the conformance contract
    socket.on("message", (...args) => socket.emit("message-back", ...args));
    socket.on("message-with-ack", (...args) => {
      const ack = takeAck(args);
      ack(...args);
    });
    socket.on("join", (room, ack) => {
      socket.join(room);
      asAck(ack)([...socket.rooms]);
    });
    socket.on("leave", (room, ack) => {
      socket.leave(room);
      asAck(ack)([...socket.rooms]);
    });
    socket.on("to-room", (room, ...args) => io.to(room).emit("room-message", ...args));
    socket.on("to-room-except-me", (room, ...args) => socket.to(room).emit("room-message", ...args));
    socket.on("broadcast", (...args) => socket.broadcast.emit("broadcast", ...args));
    socket.on("broadcast-all", (...args) => io.emit("broadcast", ...args));
    socket.on("ask", (event, ...args) => {
      const ack = takeAck(args);
      socket.timeout(1000).emit(event, ...args, (err, ...reply) => {
        ack(err ? { error: "timeout" } : { reply });
      });
    });
    socket.on("ask-room", (room, ack) => {
      io.to(room)
        .timeout(1000)
        .emit("question", (err, replies) => asAck(ack)({ timedOut: !!err, replies }));
    });
    socket.on("set-data", (value, ack) => {
      socket.data.value = value;
      asAck(ack)();
    });
    socket.on("get-data", (ack) => {
      asAck(ack)(socket.data.value === undefined ? null : socket.data.value);
    });
    socket.on("count", async (ack) => {
      try {
        asAck(ack)((await io.fetchSockets()).length);
      } catch (err) {
        console.error(`count: ${err.message}`);
      }
    });
    socket.on("room-size", async (room, ack) => {
      try {
        asAck(ack)((await io.in(room).fetchSockets()).length);
      } catch (err) {
        console.error(`room-size: ${err.message}`);
      }
    });
    socket.on("disconnect-me", () => socket.disconnect(true));
    socket.on("disconnect-room", (room) => io.in(room).disconnectSockets(true));

    // ---- the cluster contract
    socket.on("whoami", (ack) => asAck(ack)(name));
    socket.on("broadcast-except", (room, ...args) => io.except(room).emit("broadcast", ...args));
    socket.on("volatile-all", (...args) => io.volatile.emit("broadcast", ...args));
    socket.on("fetch", async (room, ack) => {
      try {
        const sockets = await (room ? io.in(room) : io).fetchSockets();
        asAck(ack)({ sockets: sockets.map(describeSocket) });
      } catch (err) {
        asAck(ack)({ error: err.message });
      }
    });

    // fetched-*: io.in(id).fetchSockets(), then act on each (a RemoteSocket when remote).
    const withFetched = (action, { ackFirst = false } = {}) => async (id, ...args) => {
      const ack = takeAck(args);
      let sockets;
      try {
        sockets = await io.in(id).fetchSockets();
      } catch (err) {
        console.error(`fetchSockets(${id}): ${err.message}`);
        return;
      }
      if (ackFirst) ack(sockets.length);
      for (const s of sockets) action(s, args);
      if (!ackFirst) ack(sockets.length);
    };
    socket.on("fetched-emit", withFetched((s, args) => s.emit("room-message", ...args)));
    socket.on("fetched-join", withFetched((s, [room]) => s.join(room)));
    socket.on("fetched-leave", withFetched((s, [room]) => s.leave(room)));
    socket.on("fetched-disconnect", withFetched((s) => s.disconnect(true), { ackFirst: true }));

    socket.on("remote-join", (target, room, ack) => {
      io.in(target).socketsJoin(room);
      asAck(ack)();
    });
    socket.on("remote-leave", (target, room, ack) => {
      io.in(target).socketsLeave(room);
      asAck(ack)();
    });
    // Without --redis there is no other server: nothing to deliver, no replies (the
    // in-memory adapter throws on serverSideEmit).
    socket.on("server-side-emit", (...args) => {
      if (clustered) io.serverSideEmit("sse", name, ...args);
    });
    socket.on("server-side-emit-with-ack", async (ack) => {
      if (!clustered) return asAck(ack)({ replies: [] });
      try {
        const replies = await io.serverSideEmitWithAck("sse-ack", name);
        asAck(ack)({ replies: replies.sort() });
      } catch (err) {
        asAck(ack)({ error: err.message });
      }
    });
    socket.on("server-count", async (ack) => {
      try {
        asAck(ack)(await io.of("/").adapter.serverCount());
      } catch (err) {
        console.error(`server-count: ${err.message}`);
      }
    });
    socket.on("all-rooms", async (ack) => {
      try {
        const adapter = io.of("/").adapter;
        const rooms = clustered ? await adapter.allRooms() : adapter.rooms.keys();
        asAck(ack)([...rooms].sort());
      } catch (err) {
        asAck(ack)({ error: err.message });
      }
    });
  });

  // ---- namespace "/custom"
  io.of("/custom").on("connection", (socket) => {
    socket.emit("auth", socket.handshake.auth ?? {});
    socket.on("message", (...args) => socket.emit("message-back", ...args));
  });

  // ---- dynamic namespaces /dyn-[a-z0-9]+
  io.of(/^\/dyn-[a-z0-9]+$/).on("connection", (socket) => {
    socket.emit("nsp", socket.nsp.name);
  });

  // ---- namespace "/private"
  const priv = io.of("/private");
  priv.use((socket, next) => {
    if (socket.handshake.auth?.token === "secret") return next();
    const err = new Error("unauthorized");
    err.data = { code: 401 };
    next(err);
  });
  priv.on("connection", (socket) => socket.emit("welcome", socket.id));
}

// ---------------------------------------------------------------- Redis

function logRedisErrors(client, role) {
  // node-redis retries by itself (reconnectStrategy); one line a second at most.
  let last = 0;
  client.on("error", (err) => {
    const now = Date.now();
    if (now - last > 1000) {
      last = now;
      console.error(`redis ${role}: ${err.message || err.code || err}`);
    }
  });
}

async function connectRedis(url) {
  const pub = createClient({ url });
  const sub = pub.duplicate();
  logRedisErrors(pub, "pub");
  logRedisErrors(sub, "sub");
  await Promise.all([pub.connect(), sub.connect()]);
  return { pub, sub };
}

// The adapter subscribes without letting anyone wait for it; commands on one connection are
// answered in order, so once a later SUBSCRIBE on the same connection is confirmed, the
// adapter's own subscriptions are in place too.
async function subscriptionsSettled(sub) {
  const probe = `${REDIS_KEY}-ready-probe#${process.pid}#${Math.random().toString(36).slice(2)}`;
  await sub.subscribe(probe, noop);
  await sub.unsubscribe(probe, noop);
}

// ---------------------------------------------------------------- main

const httpServer = createServer((req, res) => {
  res.writeHead(404, { "Content-Type": "text/plain" }).end("Not Found");
});
const io = new Server(httpServer, {
  path: options.path,
  pingInterval: options.pingInterval,
  pingTimeout: options.pingTimeout,
  maxHttpBufferSize: options.maxPayload,
  connectTimeout: options.connectTimeout,
  transports: options.transports,
  allowUpgrades: options.transports.length > 1,
  cors: { origin: "*" },
  serveClient: false,
});

let redis;
try {
  if (options.redis) {
    redis = await connectRedis(options.redis);
    io.adapter(
      createAdapter(redis.pub, redis.sub, { key: REDIS_KEY, requestsTimeout: options.requestsTimeout }),
    );
  }
  await new Promise((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(options.port, options.host, resolve);
  });
} catch (err) {
  console.error(`error: ${err.message}`);
  process.exit(1);
}

const { port } = httpServer.address();
const shownHost = options.host.includes(":") ? `[${options.host}]` : options.host;
const name = options.name ?? `${shownHost}:${port}`;
installHandlers(io, name, Boolean(redis));
if (redis) await subscriptionsSettled(redis.sub);

let closing = false;
const shutDown = async () => {
  if (closing) return;
  closing = true;
  // Never hang (Redis may be gone): whatever is still open after 3 s is dropped.
  setTimeout(() => process.exit(0), 3000).unref();
  await new Promise((resolve) => {
    io.close(() => resolve()); // disconnects every socket, closes the adapters and the server
    httpServer.closeAllConnections();
  });
  if (redis) {
    await Promise.allSettled([redis.pub.disconnect(), redis.sub.disconnect()]);
  }
  process.exit(0);
};
process.on("SIGINT", shutDown);
process.on("SIGTERM", shutDown);

console.log(`listening on http://${shownHost}:${port}`);
