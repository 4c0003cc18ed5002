// A run's events drained into its output, for callers that want the answer
// rather than the stream: completed and paused runs resolve, others throw.
import { AgentRpcError, type ErrorCode } from '../errors.ts';
import type { RunEvent } from '../run/events.ts';
import type { RunOutput } from '../run/types.ts';

/** Drains a run's events into its output; error and cancelled runs throw. */
export async function collectOutput<Output>(
  events: AsyncIterable<RunEvent>,
): Promise<RunOutput<Output>> {
  for await (const event of events) {
    switch (event.type) {
      case 'run.completed':
      case 'run.paused':
        return event.output as RunOutput<Output>;
      case 'run.cancelled':
        throw new AgentRpcError('CANCELLED', 'The run was cancelled', { runId: event.runId });
      case 'run.error':
        throw new AgentRpcError(event.code as ErrorCode, event.message, { runId: event.runId });
    }
  }
  throw new AgentRpcError('INTERNAL', 'The run ended without a terminal event');
}
