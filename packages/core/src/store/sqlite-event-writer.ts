// Hands a SqliteStore's event-log writes to a worker thread
// (sqlite-event-worker.ts) and settles each call when its transaction has.
// Events are serialised here, so the worker gets strings; what it sends back
// is only the outcome. Writes keep their order: one worker, one queue.
import { Worker } from 'node:worker_threads';
import { AgentRpcError } from '../errors.ts';
import type { EventBatch } from './types.ts';

/** One transaction's worth of events, as sent to the worker. */
export interface EventWrite {
  id: number;
  batches: { userId: string; runId: string; events: [seq: number, data: string][] }[];
}

export interface EventWriteResult {
  id: number;
  outcome: 'ok' | { error: 'NOT_FOUND' | 'STORE_ERROR'; message: string };
}

interface Waiting {
  resolve: () => void;
  reject: (error: unknown) => void;
}

// The worker runs from the same kind of file as this module: .ts from the
// sources, .js once built.
const workerFile = new URL(
  import.meta.url.endsWith('.ts') ? './sqlite-event-worker.ts' : './sqlite-event-worker.js',
  import.meta.url,
);

export class SqliteEventWriter {
  readonly #worker: Worker;
  readonly #waiting = new Map<number, Waiting>();
  readonly #inFlight = new Set<Promise<void>>();
  #nextId = 1;
  #failure: Error | undefined;

  constructor(path: string) {
    this.#worker = new Worker(workerFile, { workerData: { path } });
    // An idle worker must not keep the process alive; one with writes going does.
    this.#worker.unref();
    this.#worker.on('message', (result: EventWriteResult) => this.#settle(result));
    this.#worker.on('error', (error) => this.#fail(error));
    this.#worker.on('exit', (code) => this.#fail(new Error(`the event writer exited (${code})`)));
  }

  write(batches: EventBatch[]): Promise<void> {
    if (this.#failure) return Promise.reject(storeError(this.#failure.message));
    const id = this.#nextId++;
    const message: EventWrite = {
      id,
      batches: batches.map(({ key, events }) => ({
        userId: key.userId,
        runId: key.runId,
        events: events.map((event) => [event.seq, JSON.stringify(event)]),
      })),
    };
    const written = new Promise<void>((resolve, reject) => {
      if (this.#waiting.size === 0) this.#worker.ref();
      this.#waiting.set(id, { resolve, reject });
      this.#worker.postMessage(message);
    });
    this.#inFlight.add(written);
    const forget = () => this.#inFlight.delete(written);
    written.then(forget, forget);
    return written;
  }

  /** Lets writes already sent finish, then stops the worker. */
  async close(): Promise<void> {
    await Promise.allSettled(this.#inFlight);
    this.#failure ??= new Error('the store is closed');
    const exited = new Promise((resolve) => this.#worker.once('exit', resolve));
    this.#worker.postMessage('close');
    await exited;
  }

  #settle({ id, outcome }: EventWriteResult) {
    const waiting = this.#waiting.get(id);
    this.#waiting.delete(id);
    if (this.#waiting.size === 0) this.#worker.unref();
    if (!waiting) return;
    if (outcome === 'ok') waiting.resolve();
    else if (outcome.error === 'NOT_FOUND')
      waiting.reject(new AgentRpcError('NOT_FOUND', outcome.message));
    else waiting.reject(storeError(outcome.message));
  }

  #fail(error: Error) {
    this.#failure ??= error;
    for (const waiting of this.#waiting.values()) waiting.reject(storeError(error.message));
    this.#waiting.clear();
  }
}

function storeError(detail: string) {
  return new AgentRpcError('STORE_ERROR', `SQLite failed to append events: ${detail}`);
}
