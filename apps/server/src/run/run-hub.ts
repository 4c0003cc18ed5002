// The live side of one run in this process: the events it produced that the
// store's log may not hold yet, in order, and the readers to wake when another
// arrives. Readers read by index, so a slow one never holds up the run or the
// others; events the log has stored are let go (trimThrough), so a long run
// holds about one log interval of events rather than all of them, and a reader
// that fell behind them reads them from the log.
import { isTerminalEvent, type RunEvent } from '@agentrpc/core';

export class RunHub {
  /** The events held: seq firstSeq, firstSeq + 1, … without gaps. */
  readonly events: RunEvent[] = [];
  #last: RunEvent | undefined;
  #done = false;
  readonly #watchers = new Set<() => void>();

  get done(): boolean {
    return this.#done;
  }

  /** The last event pushed, held or not. */
  get last(): RunEvent | undefined {
    return this.#last;
  }

  /**
   * Seq of the first event held here: a continued run starts past 1, and the
   * log holds those before it once they are trimmed. With every event trimmed,
   * the seq the next one will have; before the first, none (infinity).
   */
  get firstSeq(): number {
    const first = this.events[0];
    if (first) return first.seq;
    return this.#last ? this.#last.seq + 1 : Number.POSITIVE_INFINITY;
  }

  push(event: RunEvent): void {
    this.events.push(event);
    this.#last = event;
    if (isTerminalEvent(event)) this.#done = true;
    this.#notify();
  }

  /**
   * Lets go of the events up to `seq`, which the store's log now holds, but
   * for the last `keep` events held.
   */
  trimThrough(seq: number, keep = 0): void {
    let count = 0;
    const most = this.events.length - keep;
    while (count < most && (this.events[count] as RunEvent).seq <= seq) count++;
    if (count > 0) this.events.splice(0, count);
  }

  /** Ends the hub without a terminal event (the run could not go on). */
  close(): void {
    this.#done = true;
    this.#notify();
  }

  /**
   * Calls `wake` after every event and at close, until the returned function
   * is called. A reader registers once rather than once per event it waits for.
   */
  watch(wake: () => void): () => void {
    this.#watchers.add(wake);
    return () => this.#watchers.delete(wake);
  }

  #notify() {
    for (const wake of this.#watchers) wake();
  }
}
