// Reading run events in the end-to-end tests.
import type { RunEvent } from '@agentrpc/server';

/** Reads a stream to its end; `onEvent` sees each event with all read so far. */
export async function collect(
  events: AsyncIterable<RunEvent>,
  onEvent?: (e: RunEvent, all: RunEvent[]) => void,
): Promise<RunEvent[]> {
  const out: RunEvent[] = [];
  for await (const event of events) {
    out.push(event);
    onEvent?.(event, out);
  }
  return out;
}

/** The text a run streamed, from its content events. */
export function contentOf(events: RunEvent[]): string {
  return events.flatMap((e) => (e.type === 'run.content' ? [e.delta] : [])).join('');
}
