// The least a proxy does to keep its streams' events durable, for the load
// benchmark's second baseline: number each event, hold its text until the next
// write, and every 100 ms write every stream's held events to SQLite in one
// transaction on a worker thread (proxy-event-log-worker.ts), one row per
// stream per write. A stream's last event goes out once the write holding it
// is stored, so a client that saw the end can read the whole stream back.
import { Worker } from 'node:worker_threads';

const writeEveryMs = 100;

/** Where a proxied stream's serialised frames go. */
export interface Forward {
  delta: (payload: string) => void;
  end: (payload: string) => void;
}

/** What the proxy calls as it reads a stream from the upstream. */
export interface StreamFrames {
  delta: (delta: string) => void;
  end: () => void;
}

interface LoggedStream {
  readonly no: number;
  seq: number;
  /** Seq of held[0]. */
  firstHeld: number;
  held: string[];
}

export class ProxyEventLog {
  readonly #worker: Worker;
  readonly #dirty = new Set<LoggedStream>();
  /** By write number: what waits for that write to be stored. */
  readonly #stored = new Map<number, (() => void)[]>();
  #streams = 0;
  #writes = 0;
  #waiting: (() => void)[] = [];

  constructor(path: string) {
    this.#worker = new Worker(new URL('./proxy-event-log-worker.ts', import.meta.url), {
      workerData: { path },
    });
    this.#worker.on('message', (write: number) => {
      for (const then of this.#stored.get(write) ?? []) then();
      this.#stored.delete(write);
    });
    setInterval(() => this.#write(), writeEveryMs).unref();
  }

  /** Stream `id`'s frames, each numbered and held for the next write. */
  frames(id: string, to: Forward): StreamFrames {
    const stream: LoggedStream = { no: ++this.#streams, seq: 0, firstHeld: 0, held: [] };
    return {
      delta: (delta) =>
        to.delta(this.#add(stream, JSON.stringify({ id, seq: stream.seq + 1, delta }))),
      end: () => {
        const end = this.#add(stream, JSON.stringify({ id, seq: stream.seq + 1, end: true }));
        this.#waiting.push(() => to.end(end));
      },
    };
  }

  #add(stream: LoggedStream, text: string): string {
    stream.seq++;
    if (stream.held.length === 0) {
      stream.firstHeld = stream.seq;
      this.#dirty.add(stream);
    }
    stream.held.push(text);
    return text;
  }

  #write() {
    if (this.#dirty.size === 0) return;
    let message = '';
    for (const stream of this.#dirty) {
      message += `${stream.no}\x1f${stream.firstHeld}\x1f${stream.seq}\x1f${stream.held.join('\n')}\x1e`;
      stream.held.length = 0;
    }
    this.#dirty.clear();
    const write = ++this.#writes;
    this.#stored.set(write, this.#waiting);
    this.#waiting = [];
    this.#worker.postMessage({ write, message });
  }
}
