// Hands a SqliteStore's event-log writes to a worker thread
// (sqlite-event-worker.ts) and settles each call when its transaction has.
// Events are serialised here into text (sqlite-event-message.ts), so the
// worker gets strings; what it sends back is only the outcome. Writes keep
// their order: one worker, one queue.
import { type ResourceLimits, Worker } from 'node:worker_threads';
import { AgentRpcError } from '../errors.ts';
import { eventRowsTexts } from './sqlite-event-message.ts';
import type { EventBatch } from './types.ts';

/** One transaction's worth of events, as sent to the worker. */
export interface EventWrite {
  id: number;
  /** The runs' rows, as eventRowsTexts makes them. */
  rows: string[];
}

export interface EventWriteResult {
  id: number;
  outcome: 'ok' | { error: 'NOT_FOUND' | 'STORE_ERROR'; message: string };
}

interface Waiting {
  resolve: () => void;
  reject: (error: unknown) => void;
  /** The worker the write went to. */
  worker: Worker;
}

// The worker runs from the same kind of file as this module: .ts from the
// sources, .js once built.
const workerFile = new URL(
  import.meta.url.endsWith('.ts') ? './sqlite-event-worker.ts' : './sqlite-event-worker.js',
  import.meta.url,
);

export interface SqliteEventWriterOptions {
  /** The worker's heap limits (Node's defaults when not given). */
  resourceLimits?: ResourceLimits;
  /** How long the worker waits for another connection's write lock (default 5,000 ms). */
  busyTimeoutMs?: number;
}

export class SqliteEventWriter {
  readonly #path: string;
  readonly #options: SqliteEventWriterOptions;
  /** The worker writing now; a new one is started by the next write after it died. */
  #worker: Worker | undefined;
  readonly #waiting = new Map<number, Waiting>();
  readonly #inFlight = new Set<Promise<void>>();
  #nextId = 1;
  #closed = false;

  constructor(path: string, options: SqliteEventWriterOptions = {}) {
    this.#path = path;
    this.#options = options;
  }

  #start(): Worker {
    const worker = new Worker(workerFile, {
      workerData: { path: this.#path, busyTimeoutMs: this.#options.busyTimeoutMs ?? 5000 },
      ...(this.#options.resourceLimits ? { resourceLimits: this.#options.resourceLimits } : {}),
    });
    // An idle worker must not keep the process alive; one with writes going does.
    worker.unref();
    worker.on('message', (result: EventWriteResult) => this.#settle(result));
    // A worker that dies (out of memory, a driver crash) fails what it held; the events stay
    // with the caller, who writes them again, and the next write starts a new worker.
    const died = (error: Error) => {
      if (this.#worker === worker) this.#worker = undefined;
      this.#fail(worker, error);
    };
    worker.on('error', died);
    worker.on('exit', (code) => died(new Error(`the event writer stopped (exit code ${code})`)));
    this.#worker = worker;
    return worker;
  }

  write(batches: EventBatch[]): Promise<void> {
    if (this.#closed) return Promise.reject(storeError('the store is closed'));
    const worker = this.#worker ?? this.#start();
    const id = this.#nextId++;
    const written = new Promise<void>((resolve, reject) => {
      if (this.#waiting.size === 0) worker.ref();
      this.#waiting.set(id, { resolve, reject, worker });
      // Serialised here and let go at once: a variable the closures below can
      // see would hold every row until the worker answers.
      const message: EventWrite = { id, rows: eventRowsTexts(batches) };
      worker.postMessage(message);
    });
    this.#inFlight.add(written);
    const forget = () => this.#inFlight.delete(written);
    written.then(forget, forget);
    return written;
  }

  /** Lets writes already sent finish, then stops the worker. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled(this.#inFlight);
    const worker = this.#worker;
    if (!worker) return;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    // An idle worker does not hold the process open (see #start); its closing
    // must, or a process with nothing else to do exits first and close() never settles.
    worker.ref();
    worker.postMessage('close');
    await exited;
  }

  #settle({ id, outcome }: EventWriteResult) {
    const waiting = this.#waiting.get(id);
    this.#waiting.delete(id);
    if (this.#waiting.size === 0) this.#worker?.unref();
    if (!waiting) return;
    if (outcome === 'ok') waiting.resolve();
    else if (outcome.error === 'NOT_FOUND')
      waiting.reject(new AgentRpcError('NOT_FOUND', outcome.message));
    else waiting.reject(storeError(outcome.message));
  }

  /** Fails the writes that went to `worker` (it died); those sent to its successor go on. */
  #fail(worker: Worker, error: Error) {
    for (const [id, waiting] of this.#waiting) {
      if (waiting.worker !== worker) continue;
      this.#waiting.delete(id);
      waiting.reject(storeError(error.message));
    }
  }
}

function storeError(detail: string) {
  return new AgentRpcError('STORE_ERROR', `SQLite failed to append events: ${detail}`);
}
