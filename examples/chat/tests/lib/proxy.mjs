// A TCP relay between clients and the chat server, to break the network on purpose.
//
//   const proxy = await startProxy(server.port);   // proxy.url is what clients use
//   proxy.cutClients();   // the clients' connections die; the server is not told
//                         // (its side stays open and silent, like a dead network)
//   await proxy.close();

import net from "node:net";
import { HOST } from "./server.mjs";

export function startProxy(targetPort) {
  const pairs = new Set();
  let upstreamClosedByServer = 0;
  const server = net.createServer((downstream) => {
    const upstream = net.connect({ host: HOST, port: targetPort });
    const pair = { downstream, upstream, cut: false };
    pairs.add(pair);
    downstream.pipe(upstream);
    upstream.pipe(downstream);
    const end = () => {
      if (pair.cut) return;
      downstream.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    downstream.on("error", end);
    downstream.on("close", end);
    upstream.on("error", end);
    upstream.on("close", () => {
      if (pair.cut) {
        upstreamClosedByServer++;
        pairs.delete(pair);
      }
      end();
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: HOST, port: 0 }, () => {
      const { port } = server.address();
      resolve({
        port,
        url: `http://${HOST}:${port}`,
        /** Open client connections. */
        get size() {
          return [...pairs].filter((p) => !p.cut).length;
        },
        /** Server-side halves of cut connections that the server has closed since. */
        get closedByServer() {
          return upstreamClosedByServer;
        },
        /** Kills every client connection; the server's side is left open but silent. */
        cutClients() {
          for (const pair of pairs) {
            if (pair.cut) continue;
            pair.cut = true;
            pair.downstream.unpipe(pair.upstream);
            pair.upstream.unpipe(pair.downstream);
            // Keep reading (and dropping) what the server sends, so its writes
            // succeed and only a missing heartbeat answer can tell it.
            pair.upstream.on("data", () => {});
            pair.upstream.resume(); // unpipe() paused it
            pair.downstream.destroy();
          }
        },
        close() {
          for (const { downstream, upstream } of pairs) {
            downstream.destroy();
            upstream.destroy();
          }
          pairs.clear();
          return new Promise((res) => server.close(() => res()));
        },
      });
    });
  });
}
