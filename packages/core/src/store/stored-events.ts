// Events as a store keeps them in text (SQLite's rows, MongoDB's documents and
// feed pages). What a store keeps belongs to one run and says which, so a
// delta, nearly every event of a streaming run, leaves out the run's id,
// which was some 45 % of its text; reading puts it back. Texts written
// before, with the id in every event, read the same.
import type { RunEvent } from '../run/events.ts';

type DeltaEvent = Extract<RunEvent, { type: 'run.content' | 'run.reasoning' }>;
/** The fields of each member of a union, not only those all share. */
type FieldsOf<T> = T extends unknown ? keyof T : never;

/** Fails to compile when a delta event gets a field that storedEventText would drop. */
const _deltaFieldsStored: Record<
  Exclude<FieldsOf<DeltaEvent>, 'type' | 'runId' | 'seq' | 'createdAt' | 'delta'>,
  never
> = {};

/** An event's text as a store keeps it: a delta field by field without its run's id, the others whole. */
export function storedEventText(event: RunEvent): string {
  if (event.type !== 'run.content' && event.type !== 'run.reasoning') return JSON.stringify(event);
  // Numbers JSON could not spell (NaN) would make the text unreadable: those go whole.
  if (!Number.isFinite(event.seq) || !Number.isFinite(event.createdAt)) {
    return JSON.stringify(event);
  }
  return `{"type":"${event.type}","seq":${event.seq},"createdAt":${event.createdAt},"delta":${JSON.stringify(event.delta)}}`;
}

/** A JSON array of the events as a store keeps them. */
export function storedEventsText(events: readonly RunEvent[]): string {
  return `[${events.map(storedEventText).join(',')}]`;
}

/** Gives an event read from a store's text its run's id back, when the text left it out. */
export function withRunId(event: RunEvent, runId: string): RunEvent {
  event.runId ??= runId;
  return event;
}
