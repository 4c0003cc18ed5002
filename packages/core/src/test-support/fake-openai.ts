// Shared setup for the core's tests: one fake OpenAI server per test file,
// started before the tests, reset before each one and closed after them all.
import { createFakeOpenAI, type FakeOpenAI, type FakeOpenAIOptions } from '@agentrpc/testing';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { RunEvent } from '../run/events.ts';

/** The file's fake server; use it inside tests (it starts in beforeAll). */
export function useFakeOpenAI(options: FakeOpenAIOptions = {}): FakeOpenAI {
  let fake: FakeOpenAI | undefined;
  beforeAll(async () => {
    fake = await createFakeOpenAI(options);
  });
  afterAll(() => fake?.close());
  beforeEach(() => fake?.reset());
  return new Proxy({} as FakeOpenAI, {
    get(_, property: keyof FakeOpenAI) {
      if (!fake) throw new Error('the fake OpenAI server starts in beforeAll');
      const value = fake[property];
      return typeof value === 'function' ? value.bind(fake) : value;
    },
  });
}

/** Reads a run's events to the end. */
export async function collectEvents(events: AsyncIterable<RunEvent>): Promise<RunEvent[]> {
  const out: RunEvent[] = [];
  for await (const event of events) out.push(event);
  return out;
}
