// Checks a continueRun request against the paused run's pending calls and
// turns approvals and outside results into one decision per call.
import { AgentRpcError } from '../errors.ts';
import type { ToolDecision } from '../run/tool-step.ts';
import type { RunRecord } from '../run/types.ts';
import type { ContinueInput } from './options.ts';

export function decisionsFor(record: RunRecord, input: ContinueInput): Map<string, ToolDecision> {
  const pending = record.pendingToolCalls ?? [];
  const ids = new Set(pending.map((call) => call.id));
  const decisions = new Map<string, ToolDecision>();
  for (const [id, approval] of Object.entries(input.approvals ?? {})) {
    if (!ids.has(id))
      throw new AgentRpcError('BAD_INPUT', `run ${record.runId} has no pending tool call ${id}`);
    const approved = typeof approval === 'boolean' ? approval : approval.approved;
    const reason = typeof approval === 'boolean' ? undefined : approval.reason;
    decisions.set(
      id,
      approved ? { approved: true } : { approved: false, ...(reason ? { reason } : {}) },
    );
  }
  for (const [id, result] of Object.entries(input.toolResults ?? {})) {
    if (!ids.has(id))
      throw new AgentRpcError('BAD_INPUT', `run ${record.runId} has no pending tool call ${id}`);
    decisions.set(id, { result });
  }
  const undecided = pending.filter((call) => call.requiresConfirmation && !decisions.has(call.id));
  if (undecided.length) {
    throw new AgentRpcError(
      'BAD_INPUT',
      `approve or reject every call that needs confirmation; missing: ${undecided.map((c) => `${c.name} (${c.id})`).join(', ')}`,
    );
  }
  return decisions;
}
