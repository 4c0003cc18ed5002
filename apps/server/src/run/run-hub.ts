// The live side of one run in this process: every event it has produced so
// far, in order, and the readers to wake when another arrives. Readers read by
// index, so a slow one never holds up the run or the others.
import { isTerminalEvent, type RunEvent } from '@agentrpc/core';

export class RunHub {
  readonly events: RunEvent[] = [];
  #done = false;
  readonly #watchers = new Set<() => void>();

  get done(): boolean {
    return this.#done;
  }

  /** Seq of the first event held here (a continued run starts past 1). */
  get firstSeq(): number {
    return this.events[0]?.seq ?? Number.POSITIVE_INFINITY;
  }

  push(event: RunEvent): void {
    this.events.push(event);
    if (isTerminalEvent(event)) this.#done = true;
    this.#notify();
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
