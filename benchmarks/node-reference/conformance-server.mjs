#!/usr/bin/env node
// Node.js reference implementation of the conformance server contract
// (shared/conformance-server.md) on npm socket.io 4.8: what the C++ `conformance_server`
// must behave like, point for point.
//
//   node conformance-server.mjs [--host 127.0.0.1] [--port 3000] [--ping-interval 300]
//        [--ping-timeout 200] [--max-payload 1000000] [--connect-timeout 1000]
//        [--transports polling,websocket] [--path /socket.io/] [--engine-echo]
//
// --engine-echo serves the bare Engine.IO echo of engine-echo.mjs instead (path
// /engine.io/ unless --path says otherwise). --redis is not supported by this reference.
//
// Prints `listening on http://HOST:PORT` once it accepts connections; exits 0 after
// closing every session on SIGINT/SIGTERM.

import { createServer } from "node:http";
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Server } from "socket.io";
import { announce, exitCleanlyOnSignals, parseArgsOrExit } from "./cli.mjs";
import { notFound, startEngineEcho } from "./engine-echo.mjs";

const noop = () => {};

/** Splits a trailing acknowledgement callback off the arguments (a no-op if none). */
function takeAck(args) {
  return typeof args[args.length - 1] === "function" ? args.pop() : noop;
}

export function installHandlers(io) {
  // ---- namespace "/"
  io.on("connection", (socket) => {
    socket.emit("auth", socket.handshake.auth ?? {});

    socket.on("message", (...args) => {
      socket.emit("message-back", ...args);
    });

    socket.on("message-with-ack", (...args) => {
      const ack = takeAck(args);
      ack(...args);
    });

    socket.on("join", (room, ack) => {
      socket.join(room);
      if (typeof ack === "function") ack([...socket.rooms]);
    });

    socket.on("leave", (room, ack) => {
      socket.leave(room);
      if (typeof ack === "function") ack([...socket.rooms]);
    });

    socket.on("to-room", (room, ...args) => {
      io.to(room).emit("room-message", ...args);
    });

    socket.on("to-room-except-me", (room, ...args) => {
      socket.to(room).emit("room-message", ...args);
    });

    socket.on("broadcast", (...args) => {
      socket.broadcast.emit("broadcast", ...args);
    });

    socket.on("broadcast-all", (...args) => {
      io.emit("broadcast", ...args);
    });

    socket.on("ask", (event, ...args) => {
      const ack = takeAck(args);
      socket.timeout(1000).emit(event, ...args, (err, ...reply) => {
        ack(err ? { error: "timeout" } : { reply });
      });
    });

    socket.on("ask-room", (room, ack) => {
      const reply = typeof ack === "function" ? ack : noop;
      io.to(room)
        .timeout(1000)
        .emit("question", (err, replies) => {
          reply({ timedOut: !!err, replies });
        });
    });

    socket.on("set-data", (value, ack) => {
      socket.data.value = value;
      if (typeof ack === "function") ack();
    });

    socket.on("get-data", (ack) => {
      if (typeof ack === "function") ack(socket.data.value === undefined ? null : socket.data.value);
    });

    socket.on("count", async (ack) => {
      const sockets = await io.fetchSockets();
      if (typeof ack === "function") ack(sockets.length);
    });

    socket.on("room-size", async (room, ack) => {
      const sockets = await io.in(room).fetchSockets();
      if (typeof ack === "function") ack(sockets.length);
    });

    socket.on("disconnect-me", () => {
      socket.disconnect(true);
    });

    socket.on("disconnect-room", (room) => {
      io.in(room).disconnectSockets(true);
    });
  });

  // ---- namespace "/custom"
  io.of("/custom").on("connection", (socket) => {
    socket.emit("auth", socket.handshake.auth ?? {});
    socket.on("message", (...args) => {
      socket.emit("message-back", ...args);
    });
  });

  // ---- dynamic namespaces /dyn-[a-z0-9]+
  io.of(/^\/dyn-[a-z0-9]+$/).on("connection", (socket) => {
    socket.emit("nsp", socket.nsp.name);
  });

  // ---- namespace "/private"
  const priv = io.of("/private");
  priv.use((socket, next) => {
    if (socket.handshake.auth?.token === "secret") {
      next();
    } else {
      const err = new Error("unauthorized");
      err.data = { code: 401 };
      next(err);
    }
  });
  priv.on("connection", (socket) => {
    socket.emit("welcome", socket.id);
  });
}

export async function startConformanceServer(options) {
  // Requests outside the Socket.IO path get a 404 (instead of being left hanging).
  const httpServer = createServer(notFound);
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
  installHandlers(io);

  await new Promise((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(options.port, options.host, resolve);
  });

  const close = () =>
    new Promise((resolve) => {
      // Disconnects every socket, closes the engine and then the HTTP server.
      io.close(() => resolve());
      httpServer.closeAllConnections();
    });
  return { httpServer, io, close };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === realpathSync(process.argv[1])) {
  const options = parseArgsOrExit(process.argv.slice(2));
  if (options.redis) {
    console.error("error: --redis is not supported by the Node.js reference server");
    process.exit(2);
  }
  try {
    const { httpServer, close } = options.engineEcho
      ? await startEngineEcho(options)
      : await startConformanceServer(options);
    exitCleanlyOnSignals(close);
    announce(httpServer, options.host);
  } catch (err) {
    console.error(`error: ${err.message}`);
    process.exit(1);
  }
}
