// What one WebSocket connection needs beneath the protocol: sending frames in
// batches per turn of the event loop, closing a client that went silent, and
// counting the messages a client sends against its allowance.
import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';

/** Frames one write may carry; bounds how long a busy turn of the event loop holds one back. */
const maxFramesPerWrite = 16;

/**
 * Sends text frames. The first frame of a turn of the event loop goes out at
 * once; the ones after it in the same turn are written together when the turn
 * ends (or every maxFramesPerWrite frames). A client following many runs then
 * costs a couple of system calls per turn rather than one per event, and a
 * lone event is not held back. `socket` is the connection the WebSocket was
 * upgraded on.
 */
export function batchedSender(ws: WebSocket, socket: Duplex): (text: string) => void {
  let queued: string[] = [];
  let turnStarted = false;
  const flush = () => {
    const batch = queued;
    queued = [];
    if (batch.length === 0 || ws.readyState !== WebSocket.OPEN) return;
    socket.cork();
    for (const text of batch) ws.send(text);
    socket.uncork();
  };
  const endTurn = () => {
    turnStarted = false;
    flush();
  };
  return (text) => {
    if (!turnStarted) {
      turnStarted = true;
      setImmediate(endTurn);
      if (ws.readyState === WebSocket.OPEN) ws.send(text);
      return;
    }
    if (queued.push(text) >= maxFramesPerWrite) flush();
  };
}

/** Closes a client that sends nothing, not even a PONG, for pingMs + pongWaitMs. */
export function keepAlive(ws: WebSocket, options: { pingMs: number; pongWaitMs: number }) {
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      ws.send('PING');
      timer = setTimeout(() => ws.terminate(), options.pongWaitMs);
    }, options.pingMs);
  };
  ws.on('message', schedule);
  ws.once('close', () => clearTimeout(timer));
  schedule();
}

/**
 * A connection's allowance of messages: `perSecond`, in bursts of twice that.
 * Returns a function that takes one message from it, false when none is left.
 */
export function messageAllowance(perSecond: number): () => boolean {
  const burst = perSecond * 2;
  let tokens = burst;
  let tokensAt = performance.now();
  return () => {
    const now = performance.now();
    tokens = Math.min(burst, tokens + ((now - tokensAt) / 1000) * perSecond);
    tokensAt = now;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };
}
