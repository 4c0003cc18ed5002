// Instances on one store that share a secret (config `peers`) stream each
// other's runs. Each records on the runs it starts where it can be reached
// (RunRecord.servedBy); a reader here of a run live on another instance then
// follows it from there (follow-peer.ts) as that instance's own readers do,
// instead of polling the store every 100 ms behind the event log's writes.
// Whatever goes wrong on the way sends the reader back to the store.
import http from 'node:http';
import https from 'node:https';
import type { RunRecord } from '@agentrpc/core';
import type { Logger } from '../observe/logger.ts';
import type { ServerMetrics } from '../observe/metrics.ts';
import type { Relay } from '../run/follow-run.ts';
import { followPeer, PeerUnavailableError } from './follow-peer.ts';

export interface PeersConfig {
  secret: string;
  /** Where other instances reach this one; default the address it listens on. */
  url?: string;
}

export class Peers {
  readonly secret: string;
  #url: string | undefined;
  readonly #logger: Logger;
  readonly #metrics: ServerMetrics;
  readonly #agents = {
    http: new http.Agent({ keepAlive: true }),
    https: new https.Agent({ keepAlive: true }),
  };

  constructor(config: PeersConfig, observe: { logger: Logger; metrics: ServerMetrics }) {
    this.secret = config.secret;
    this.#url = config.url;
    this.#logger = observe.logger;
    this.#metrics = observe.metrics;
  }

  /** Where other instances reach this one, once known. */
  get url(): string | undefined {
    return this.#url;
  }

  /** Takes the address this instance listens on, unless one was configured. */
  listeningAt(url: string): void {
    this.#url ??= url;
  }

  /** How to follow the run from the instance running it, when that is another one. */
  relayFor(record: RunRecord): Relay | undefined {
    const { servedBy, userId, runId } = record;
    if (!servedBy || servedBy === this.#url || record.status !== 'running') return undefined;
    return {
      follow: (afterSeq) => {
        this.#metrics.peerReads.inc({ outcome: 'started' });
        return followPeer({
          url: servedBy,
          secret: this.secret,
          agent: servedBy.startsWith('https:') ? this.#agents.https : this.#agents.http,
          userId,
          runId,
          afterSeq,
        });
      },
      onFailure: (error) => {
        const fields = { err: error, runId, peer: servedBy };
        // Not live there any more (it ended meanwhile): the store has it, nothing is amiss.
        const ended = error instanceof PeerUnavailableError && error.notLiveThere;
        this.#metrics.peerReads.inc({ outcome: ended ? 'not_live_there' : 'failed' });
        if (ended) this.#logger.debug(fields, 'reading the run from the store instead');
        else this.#logger.warn(fields, 'reading the run from the store instead');
      },
    };
  }

  close(): void {
    this.#agents.http.destroy();
    this.#agents.https.destroy();
  }
}
