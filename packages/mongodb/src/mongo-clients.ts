// A MongoStore's connections: two clients to one server. The event log's
// appends, and the reads of instances following runs (the run's record, once,
// then the live feed), go through a small pool of their own, so a stream's
// events never queue behind the bookkeeping of runs that start and end
// (sessions, leases, run records).
// With one pool, a burst of runs starting filled its queue, and each of an
// append's round trips waited there behind hundreds of them: on FerretDB at
// 500 runs, half a second per round trip, and seconds of delay for followers
// (docs/performance-notes.md).
import { type Db, MongoClient, type MongoClientOptions } from 'mongodb';

/**
 * The event pool's connections, at most. The event log writes one batch at a
 * time and a follower's poll takes a few round trips, but followers also start
 * in bursts (one record read each, as runs start): with 4 connections those
 * reads queued for up to 1–2 s on FerretDB at 500 runs, with 12 a few hundred
 * ms (docs/performance-notes.md, "The event pool's size").
 */
const eventPoolSize = 12;

export interface StoreDbs {
  /** Everything but the event log's live path. */
  db: Db;
  /** The same database through the event pool. */
  eventDb: Db;
}

export interface ClientsOptions {
  url: string;
  clientOptions?: MongoClientOptions;
}

export class MongoClients {
  readonly #main: MongoClient;
  readonly #events: MongoClient;

  /** Makes both clients; they connect on `open()`. */
  constructor(options: ClientsOptions) {
    const settings = { serverSelectionTimeoutMS: 5000, ...options.clientOptions };
    const main = new MongoClient(options.url, settings);
    // The same settings, from the URL too, with a smaller pool (never larger than the main one).
    const maxPoolSize = Math.min(eventPoolSize, main.options.maxPoolSize || eventPoolSize);
    const minPoolSize = Math.min(main.options.minPoolSize, maxPoolSize);
    this.#events = new MongoClient(options.url, { ...settings, maxPoolSize, minPoolSize });
    this.#main = main;
  }

  /** Connects both; when either fails, closes the other and throws. */
  async open(dbName: string): Promise<StoreDbs> {
    try {
      await Promise.all([this.#main.connect(), this.#events.connect()]);
    } catch (error) {
      await this.close();
      throw error;
    }
    return { db: this.#main.db(dbName), eventDb: this.#events.db(dbName) };
  }

  async close(): Promise<void> {
    await Promise.all([this.#main.close(), this.#events.close()]);
  }
}
