// Listening on the server's port with many sockets that the system spreads
// connections over (SO_REUSEPORT, Linux). The event loop accepts one
// connection per listening socket per turn; under load a turn serves hundreds
// of streams and takes 50-200 ms, so with one socket new connections queued in
// the kernel for seconds (500 SSE streams opened over 2 s: the last waited 7 s
// for their first byte) and a saturated server could not even refuse them
// promptly. 64 sockets accept up to 64 per turn; they cost a descriptor each.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer, type Server as NetServer } from 'node:net';

/** Listening sockets beside the server's own, where the platform spreads connections over them. */
const extraAcceptors = process.platform === 'linux' ? 63 : 0;

/**
 * The socket options node:http's server gives the connections it accepts
 * itself, so every connection is alike whichever socket took it. Without
 * `noDelay`, a small write (an event) that follows one the client has not
 * acknowledged yet waited for that acknowledgement, up to the 40 ms of a
 * delayed ACK; `allowHalfOpen` lets the HTTP server, not the socket, decide
 * what a client's half-close means.
 */
const acceptorOptions = { noDelay: true, allowHalfOpen: true };

export interface Listening {
  port: number;
  /** Stops the extra sockets accepting (the server's own is closed with it). */
  close(): void;
}

function listenOn(
  server: NetServer | Server,
  options: { port: number; host: string; reusePort: boolean },
) {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

export async function listen(
  server: Server,
  options: { port: number; host: string },
): Promise<Listening> {
  const reusePort = extraAcceptors > 0;
  if (reusePort && options.port !== 0) {
    // Sockets sharing a port also share it with another process of the same
    // user that did the same; a plain bind first fails as it should when the
    // port is taken, rather than splitting traffic with that process.
    const probe = createServer();
    await listenOn(probe, { ...options, reusePort: false });
    await new Promise((closed) => probe.close(closed));
  }
  await listenOn(server, { ...options, reusePort });
  const { port } = server.address() as AddressInfo;
  const acceptors: NetServer[] = [];
  for (let i = 0; i < extraAcceptors; i++) {
    const acceptor = createServer(acceptorOptions, (socket) => server.emit('connection', socket));
    await listenOn(acceptor, { port, host: options.host, reusePort });
    acceptors.push(acceptor);
  }
  return {
    port,
    close: () => {
      for (const acceptor of acceptors) acceptor.close();
    },
  };
}
