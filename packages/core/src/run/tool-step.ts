// The tool round of a run: checks the tool-call limit and confirmations, runs
// the calls concurrently, reports each as it finishes and feeds results back.
import type { ToolCall } from '../message/types.ts';
import { executeToolCall, parseArguments, toolResultText } from '../tool/execute-tool-call.ts';
import { type ActiveRun, nextEvent } from './active-run.ts';
import { endSpan, startSpan } from './tracing.ts';
import type { ToolCallRecord } from './types.ts';

/** The caller's answer for a call that waited for confirmation or an outside result. */
export type ToolDecision =
  | { approved: true }
  | { approved: false; reason?: string }
  | { result: unknown };

function pendingRecord(call: ToolCall, requiresConfirmation: boolean): ToolCallRecord {
  const args = parseArguments(call.arguments);
  return {
    id: call.id,
    name: call.name,
    args: args.ok ? args.value : args.raw,
    status: 'pending',
    requiresConfirmation,
  };
}

/** Runs one tool call inside an `agentrpc.tool_call` span. */
async function tracedToolCall(run: ActiveRun, call: ToolCall): Promise<ToolCallRecord> {
  const span = startSpan(
    'agentrpc.tool_call',
    { 'gen_ai.tool.name': call.name, 'gen_ai.tool.call.id': call.id },
    run.span,
  );
  const record = await executeToolCall(call, run.tools.get(call.name), run.toolContext);
  endSpan(
    span,
    record.status === 'completed'
      ? {}
      : { error: { code: 'TOOL_ERROR', message: record.error ?? 'failed' } },
  );
  return record;
}

/** Records a call that is not run (over the limit, or rejected) and reports it. */
function refuse(
  run: ActiveRun,
  refusal: { call: ToolCall; status: 'failed' | 'rejected'; error: string },
): ToolCallRecord {
  const { call, status, error } = refusal;
  const record: ToolCallRecord = {
    ...pendingRecord(call, status === 'rejected'),
    status,
    error,
    durationMs: 0,
  };
  run.emit(
    nextEvent(run, {
      type: 'tool.failed',
      toolCallId: call.id,
      name: call.name,
      error,
      durationMs: 0,
    }),
  );
  return record;
}

/** Pauses when a call within the limit needs confirmation; else runs the round. */
export async function toolStep(run: ActiveRun, calls: ToolCall[]): Promise<'continue' | 'paused'> {
  const allowed = Math.max(0, run.toolCallLimit - run.toolCallCount);
  const needsConfirmation = calls
    .slice(0, allowed)
    .some((call) => run.tools.get(call.name)?.requiresConfirmation);
  if (needsConfirmation) {
    run.output.pendingToolCalls = calls.map((call) =>
      pendingRecord(call, run.tools.get(call.name)?.requiresConfirmation === true),
    );
    return 'paused';
  }
  await executeRound(run, calls, new Map());
  return 'continue';
}

/**
 * Runs one round of tool calls. Calls past the limit and rejected calls get an
 * error result without running; decided results are used as given.
 */
export async function executeRound(
  run: ActiveRun,
  calls: ToolCall[],
  decisions: Map<string, ToolDecision>,
): Promise<void> {
  const records = new Map<string, ToolCallRecord>();
  const running = new Map<string, Promise<ToolCallRecord>>();
  for (const call of calls) {
    const decision = decisions.get(call.id);
    if (run.toolCallCount >= run.toolCallLimit) {
      const error = `Tool call limit (${run.toolCallLimit}) reached; answer without more tool calls`;
      records.set(call.id, refuse(run, { call, status: 'failed', error }));
      continue;
    }
    run.toolCallCount++;
    if (decision && 'approved' in decision && !decision.approved) {
      const error = `The user rejected this call${decision.reason ? `: ${decision.reason}` : ''}`;
      records.set(call.id, refuse(run, { call, status: 'rejected', error }));
      continue;
    }
    const started = pendingRecord(call, false);
    run.emit(
      nextEvent(run, {
        type: 'tool.started',
        toolCallId: call.id,
        name: call.name,
        args: started.args,
      }),
    );
    if (decision && 'result' in decision) {
      running.set(
        call.id,
        Promise.resolve({
          ...started,
          status: 'completed',
          result: decision.result,
          durationMs: 0,
        }),
      );
    } else {
      running.set(call.id, tracedToolCall(run, call));
    }
  }
  const settled = new Map(
    [...running].map(([id, promise]) => [id, promise.then((record) => ({ id, record }))]),
  );
  while (settled.size) {
    const { id, record } = await Promise.race(settled.values());
    settled.delete(id);
    records.set(id, record);
    const durationMs = record.durationMs ?? 0;
    run.emit(
      record.status === 'completed'
        ? nextEvent(run, {
            type: 'tool.completed',
            toolCallId: id,
            name: record.name,
            result: record.result,
            durationMs,
          })
        : nextEvent(run, {
            type: 'tool.failed',
            toolCallId: id,
            name: record.name,
            error: record.error ?? 'failed',
            durationMs,
          }),
    );
  }
  for (const call of calls) {
    const record = records.get(call.id);
    if (!record) continue;
    run.output.toolCalls.push(record);
    run.output.messages.push({
      role: 'tool',
      toolCallId: call.id,
      content: toolResultText(record),
    });
  }
  delete run.output.pendingToolCalls;
}
