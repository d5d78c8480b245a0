#!/usr/bin/env node
// Node.js reference for `conformance_server --engine-echo`: the bare Engine.IO layer
// (npm engine.io 6.6) at /engine.io/ (unless --path says otherwise), echoing every
// message back to its sender, text as text and binary as binary.
//
//   node engine-echo.mjs [--host 127.0.0.1] [--port 3000] [--ping-interval 300]
//        [--ping-timeout 200] [--max-payload 1000000] [--transports polling,websocket]
//        [--path /engine.io/] [--engine-echo]
//
// Prints `listening on http://HOST:PORT` once it accepts connections; exits 0 after
// closing every session on SIGINT/SIGTERM.

import { createServer } from "node:http";
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Server } from "engine.io";
import { announce, exitCleanlyOnSignals, parseArgsOrExit } from "./cli.mjs";

export function notFound(req, res) {
  res.writeHead(404, { "Content-Type": "text/plain" }).end("Not Found");
}

export function engineOptions(options) {
  return {
    path: options.path,
    pingInterval: options.pingInterval,
    pingTimeout: options.pingTimeout,
    maxHttpBufferSize: options.maxPayload,
    transports: options.transports,
    allowUpgrades: options.transports.length > 1,
    cors: { origin: "*" },
  };
}

export async function startEngineEcho(options) {
  // Requests outside the engine path get a 404 (engine.io alone would leave them hanging).
  const httpServer = createServer(notFound);
  const engine = new Server(engineOptions(options));
  // attach() takes the path from its own options, not from the constructor's.
  engine.attach(httpServer, { path: options.path });

  engine.on("connection", (socket) => {
    socket.on("message", (data) => {
      // Strings stay text, Buffers stay binary.
      socket.send(data);
    });
  });

  await new Promise((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(options.port, options.host, resolve);
  });

  const close = () =>
    new Promise((resolve) => {
      engine.close();
      httpServer.close(() => resolve());
      httpServer.closeAllConnections();
    });
  return { httpServer, engine, close };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === realpathSync(process.argv[1])) {
  const options = parseArgsOrExit(process.argv.slice(2));
  options.engineEcho = true;
  if (!process.argv.includes("--path")) {
    options.path = "/engine.io/";
  }
  try {
    const { httpServer, close } = await startEngineEcho(options);
    exitCleanlyOnSignals(close);
    announce(httpServer, options.host);
  } catch (err) {
    console.error(`error: ${err.message}`);
    process.exit(1);
  }
}
