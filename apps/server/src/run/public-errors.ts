// What a client is told about a run that failed. Provider and store errors
// quote upstream bodies, host names and driver messages; those go to the log
// under an error id, and the client gets a message it can act on and that id.
// The id is the failed run's terminal event id (`runId:seq`), which the client
// holds already, so nothing extra is stored.
import type { RunEvent, RunOutput, RunRecord } from '@agentrpc/core';

/** Codes whose messages may carry what only the operator should see, and what a client gets instead. */
const clientMessages: Record<string, string> = {
  PROVIDER_ERROR: 'The model provider failed to answer; retry, or tell the operator',
  RATE_LIMITED: 'The model provider is limiting requests; retry in a while',
  STORE_ERROR: 'The server could not save the run; retry, or tell the operator',
  INTERNAL: 'The run failed inside the server; tell the operator',
};

/** The error id a failed run is logged under, given its terminal seq. */
export function errorIdOf(runId: string, seq: number): string {
  return `${runId}:${seq}`;
}

function publicMessage(code: string, errorId: string): string | undefined {
  const message = clientMessages[code];
  return message && `${message} (error id ${errorId})`;
}

/** The output with its error told as a client may see it, under `errorId`. */
function withPublicError<T extends RunOutput>(output: T, errorId: string): T {
  const message = output.error && publicMessage(output.error.code, errorId);
  return message && output.error ? { ...output, error: { ...output.error, message } } : output;
}

/**
 * A stored run as a client may see it: a provider's or store's own words
 * replaced by the error id, and without the address instances reach each other at.
 */
export function publicRun(run: RunRecord): RunRecord {
  const { servedBy: _internal, ...told } = run;
  return withPublicError(told, errorIdOf(run.runId, run.lastSeq));
}

/** The event as a client may see it. */
export function publicEvent(event: RunEvent): RunEvent {
  if (event.type !== 'run.error') return event;
  const errorId = errorIdOf(event.runId, event.seq);
  const message = publicMessage(event.code, errorId);
  if (!message) return event;
  return { ...event, message, output: withPublicError(event.output, errorId) };
}
