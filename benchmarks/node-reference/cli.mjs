// Command line of the conformance server contract (shared/conformance-server.md),
// shared by the Node.js reference servers in this folder:
//
//   [--host 127.0.0.1] [--port 3000] [--ping-interval 300] [--ping-timeout 200]
//   [--max-payload 1000000] [--connect-timeout 1000] [--transports polling,websocket]
//   [--path /socket.io/] [--engine-echo] [--redis URL]
//
// With --engine-echo the default path is /engine.io/.

const INTEGER_OPTIONS = {
  "--port": "port",
  "--ping-interval": "pingInterval",
  "--ping-timeout": "pingTimeout",
  "--max-payload": "maxPayload",
  "--connect-timeout": "connectTimeout",
};

export function usage() {
  return (
    "usage: [--host 127.0.0.1] [--port 3000] [--ping-interval 300] [--ping-timeout 200]\n" +
    "       [--max-payload 1000000] [--connect-timeout 1000] [--transports polling,websocket]\n" +
    "       [--path /socket.io/] [--engine-echo] [--redis redis://127.0.0.1:6379]"
  );
}

export function parseArgs(argv) {
  const options = {
    host: "127.0.0.1",
    port: 3000,
    pingInterval: 300,
    pingTimeout: 200,
    maxPayload: 1000000,
    connectTimeout: 1000,
    transports: ["polling", "websocket"],
    path: undefined,
    engineEcho: false,
    redis: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) {
        throw new Error(`missing value for ${arg}`);
      }
      return argv[++i];
    };
    if (arg === "--engine-echo") {
      options.engineEcho = true;
    } else if (arg === "--host") {
      options.host = value();
    } else if (arg === "--path") {
      options.path = value();
    } else if (arg === "--redis") {
      options.redis = value();
    } else if (arg === "--transports") {
      const list = value()
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
      for (const t of list) {
        if (t !== "polling" && t !== "websocket") {
          throw new Error(`unknown transport: ${t}`);
        }
      }
      if (list.length === 0) {
        throw new Error("--transports needs at least one transport");
      }
      options.transports = list;
    } else if (arg in INTEGER_OPTIONS) {
      const raw = value();
      if (!/^\d+$/.test(raw)) {
        throw new Error(`${arg} needs a non-negative integer, got ${raw}`);
      }
      options[INTEGER_OPTIONS[arg]] = Number(raw);
    } else if (arg === "--help" || arg === "-h") {
      console.log(usage());
      process.exit(0);
    } else {
      throw new Error(`unknown argument: ${arg}`);
    }
  }
  if (options.path === undefined) {
    options.path = options.engineEcho ? "/engine.io/" : "/socket.io/";
  }
  return options;
}

export function parseArgsOrExit(argv) {
  try {
    return parseArgs(argv);
  } catch (err) {
    console.error(`error: ${err.message}\n${usage()}`);
    process.exit(2);
  }
}

// Prints the contract's ready line once the HTTP server listens.
export function announce(httpServer, host) {
  const { port } = httpServer.address();
  const shownHost = host.includes(":") ? `[${host}]` : host;
  console.log(`listening on http://${shownHost}:${port}`);
}

// Closes everything on SIGINT/SIGTERM, then exits 0.
export function exitCleanlyOnSignals(closeAll) {
  let closing = false;
  const onSignal = () => {
    if (closing) {
      return;
    }
    closing = true;
    // Never hang: whatever is left open after 3 s is dropped.
    setTimeout(() => process.exit(0), 3000).unref();
    Promise.resolve()
      .then(closeAll)
      .then(
        () => process.exit(0),
        (err) => {
          console.error("error while closing:", err);
          process.exit(1);
        },
      );
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}
