// The live side of one run in this process: every event it has produced so
// far, in order, and a signal for readers waiting for the next one. Readers
// read by index, so a slow one never holds up the run or the others.
import { isTerminalEvent, type RunEvent } from '@agentrpc/core';

export class RunHub {
  readonly events: RunEvent[] = [];
  #done = false;
  #wake: (() => void) | undefined;
  #changed: Promise<void> | undefined;

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

  /** Resolves when an event arrives or the hub closes. */
  changed(): Promise<void> {
    this.#changed ??= new Promise<void>((resolve) => {
      this.#wake = resolve;
    });
    return this.#changed;
  }

  #notify() {
    const wake = this.#wake;
    this.#wake = undefined;
    this.#changed = undefined;
    wake?.();
  }
}
