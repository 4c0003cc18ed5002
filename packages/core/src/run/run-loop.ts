// The agent loop: call the model, run the tools it asks for, repeat until it
// answers, then validate structured output. Terminal events are the caller's.
import { AgentRpcError } from '../errors.ts';
import type { ToolCall } from '../message/types.ts';
import type { ActiveRun } from './active-run.ts';
import { modelStep } from './model-step.ts';
import { executeRound, type ToolDecision, toolStep } from './tool-step.ts';

/** Guards against a model that never stops asking for tools. */
const maxModelCalls = 100;

export type LoopOutcome = 'completed' | 'paused';

function stripCodeFence(text: string): string {
  const match = /^\s*```(?:json)?\s*([\s\S]*?)\s*```\s*$/.exec(text);
  return match ? (match[1] ?? '') : text;
}

function parseStructuredOutput(run: ActiveRun, content: string): unknown {
  const schema = run.outputSchema;
  if (!schema) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(stripCodeFence(content));
  } catch {
    throw new AgentRpcError(
      'BAD_OUTPUT',
      `The model's answer is not JSON: ${content.slice(0, 200)}`,
    );
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new AgentRpcError(
      'BAD_OUTPUT',
      `The model's answer does not match the output schema: ${issues.join('; ')}`,
    );
  }
  return result.data;
}

export async function runLoop(run: ActiveRun): Promise<LoopOutcome> {
  let repaired = false;
  /** Rounds of tool calls asked for after the limit was reached. */
  let roundsPastLimit = 0;
  for (let call = 0; call < maxModelCalls; call++) {
    const turn = await modelStep(run);
    if (turn.toolCalls.length === 0) {
      run.output.content = turn.content;
      let parsed: unknown;
      try {
        parsed = parseStructuredOutput(run, turn.content);
      } catch (error) {
        // One repair turn: the model sees what was wrong and answers again.
        if (repaired || !(error instanceof AgentRpcError)) throw error;
        repaired = true;
        run.output.messages.push({
          role: 'user',
          content: `${error.message}. Answer again with only the JSON object.`,
        });
        continue;
      }
      if (parsed !== undefined) run.output.parsed = parsed;
      return 'completed';
    }
    if (run.toolCallCount >= run.toolCallLimit && ++roundsPastLimit > 1) {
      // Told to answer (tool_choice none), refused once, and asking for tools
      // again, as small local models do: stop, keeping what the run has so far.
      run.output.content = turn.content;
      throw new AgentRpcError(
        'TOOL_ERROR',
        `The model kept calling tools past the limit of ${run.toolCallLimit}; the run stopped with what it had`,
      );
    }
    if ((await toolStep(run, turn.toolCalls)) === 'paused') return 'paused';
    run.controller.signal.throwIfAborted();
  }
  throw new AgentRpcError('TOOL_ERROR', `The model made ${maxModelCalls} calls without answering`);
}

/** Finishes a paused round with the caller's decisions, then goes on as usual. */
export async function continueLoop(
  run: ActiveRun,
  resume: { calls: ToolCall[]; decisions: Map<string, ToolDecision> },
): Promise<LoopOutcome> {
  await executeRound(run, resume.calls, resume.decisions);
  run.controller.signal.throwIfAborted();
  return runLoop(run);
}
