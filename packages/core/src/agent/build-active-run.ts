// Assembles an ActiveRun from the agent's options, the session and the run record:
// tools by name, response format, and the prompt (instructions, summary, history).

import { z } from 'zod';
import { AgentRpcError } from '../errors.ts';
import { memoryPrompt, relevantMemories, rememberTool } from '../memory/user-memories.ts';
import type { Message } from '../message/types.ts';
import type { ResponseFormat, ToolSpec } from '../model/types.ts';
import { type ActiveRun, nextEvent } from '../run/active-run.ts';
import { responseFormatFor, schemaInstruction, structuredModeOf } from '../run/structured-mode.ts';
import type { RunOverrides, RunRecord } from '../run/types.ts';
import { transcript } from '../session/summarize.ts';
import type { Session } from '../session/types.ts';
import type { Store } from '../store/types.ts';
import { type AnyTool, defineTool, toolSpecOf } from '../tool/define-tool.ts';
import { finishersFor, optionsOf } from './after-run.ts';
import type { AgentOptions, RunOptions } from './options.ts';

const emptyTools = new Map<string, AnyTool>();

/** The run's overrides from its options, checked against the agent (BAD_INPUT when they clash). */
export function overridesOf(
  agent: AgentOptions,
  options: RunOptions,
): { overrides?: RunOverrides } {
  const { clientTools, outputJsonSchema } = options;
  if (!clientTools?.length && !outputJsonSchema) return {};
  const own = new Set((agent.tools ?? []).map((tool) => tool.name));
  const clash = clientTools?.find((tool) => own.has(tool.name));
  if (clash) {
    throw new AgentRpcError(
      'BAD_INPUT',
      `tool "${clash.name}" is the agent's own; name yours otherwise`,
    );
  }
  if (outputJsonSchema && agent.outputSchema) {
    throw new AgentRpcError('BAD_INPUT', 'this agent has its own output schema');
  }
  return {
    overrides: {
      ...(clientTools?.length ? { clientTools } : {}),
      ...(outputJsonSchema ? { outputSchema: outputJsonSchema } : {}),
    },
  };
}

/** A tool the caller runs: calling it pauses the run for its result. */
function clientTool(spec: ToolSpec): AnyTool {
  return defineTool({
    name: spec.name,
    description: spec.description,
    parameters: z.fromJSONSchema(spec.parameters as Parameters<typeof z.fromJSONSchema>[0]),
    requiresConfirmation: true,
    execute: () => {
      throw new Error(`"${spec.name}" runs on the client: continue the run with its result`);
    },
  });
}

/** The agent's options as this run sees them: with its own output schema, if it asked for one. */
function effectiveOptions(agent: AgentOptions, overrides: RunOverrides | undefined): AgentOptions {
  const wanted = overrides?.outputSchema?.schema;
  if (!wanted) return agent;
  return {
    ...agent,
    outputSchema: z.fromJSONSchema(wanted as Parameters<typeof z.fromJSONSchema>[0]),
  };
}

function responseFormatOf(options: AgentOptions): ResponseFormat | undefined {
  if (!options.outputSchema) return undefined;
  return responseFormatFor(options.outputSchema, structuredModeOf(options.model));
}

async function systemMessage(
  options: AgentOptions,
  session: Session,
  extra: { metadata: Record<string, unknown>; memories: string | undefined },
) {
  const { metadata } = extra;
  const parts: string[] = [];
  const { instructions } = options;
  const text =
    typeof instructions === 'function'
      ? await instructions({
          userId: session.userId,
          sessionId: session.sessionId,
          agentId: options.id,
          state: session.state,
          metadata,
        })
      : instructions;
  if (text) parts.push(text);
  if (options.outputSchema && structuredModeOf(options.model) !== 'json_schema') {
    parts.push(schemaInstruction(options.outputSchema));
  }
  if (session.summary) parts.push(`Summary of the conversation so far:\n${session.summary}`);
  if (extra.memories) parts.push(extra.memories);
  return parts.length
    ? ({ role: 'system', content: parts.join('\n\n') } satisfies Message)
    : undefined;
}

/** Messages of the last completed runs of the session before this one, oldest first. */
async function historyOf(build: BuildRunOptions, agent: AgentOptions) {
  const { store, session, record } = build;
  const count = agent.numHistoryRuns ?? 3;
  if (count <= 0) return [];
  const runs = await store.listRuns({
    userId: session.userId,
    sessionId: session.sessionId,
    status: 'completed',
    order: 'desc',
    limit: count + 1,
  });
  return runs
    .filter((r) => r.runId !== record.runId)
    .slice(0, count)
    .reverse()
    .flatMap((r) => r.messages.filter((m) => m.role !== 'system' && m.role !== 'developer'));
}

export interface BuildRunOptions {
  agent: AgentOptions;
  store: Store;
  session: Session;
  record: RunRecord;
  /** The session was made for this run: it has no history to read. */
  newSession?: boolean;
  signal?: AbortSignal;
}

export async function buildActiveRun(build: BuildRunOptions): Promise<ActiveRun> {
  const { store, session, record } = build;
  const agent = effectiveOptions(build.agent, record.overrides);
  const metadata = record.metadata ?? {};
  const memory = optionsOf(agent.memory);
  const memories = memory ? await memoriesFor(build, memory.maxInPrompt ?? 10) : undefined;
  const system = await systemMessage(agent, session, { metadata, memories });
  const history = build.newSession ? [] : await historyOf(build, agent);
  const toolList: AnyTool[] = [
    ...(agent.tools ?? []),
    ...(record.overrides?.clientTools ?? []).map(clientTool),
  ];
  // The remember tool reports through the run, which exists only below.
  let run: ActiveRun | undefined;
  if (memory?.tool) {
    toolList.push(
      rememberTool(store, (stored) =>
        run?.emit(nextEvent(run, { type: 'memory.updated', memoryIds: [stored.memoryId] })),
      ),
    );
  }
  const tools = toolList.length ? new Map(toolList.map((t) => [t.name, t])) : emptyTools;
  const controller = new AbortController();
  run = {
    span: undefined,
    cache: agent.cache ? { store, ttlMs: agent.cache.ttlMs } : undefined,
    model: agent.model,
    fallbackModels: agent.fallbackModels ?? [],
    tools,
    toolSpecs: toolList.map(toolSpecOf),
    toolChoice: agent.toolChoice,
    responseFormat: responseFormatOf(agent),
    outputSchema: agent.outputSchema,
    toolCallLimit: agent.toolCallLimit ?? 10,
    toolCallCount: record.toolCalls.length,
    prompt: system ? [system, ...history] : history,
    output: record,
    toolContext: {
      runId: record.runId,
      sessionId: session.sessionId,
      userId: session.userId,
      agentId: agent.id,
      signal: controller.signal,
      state: session.state,
      metadata,
    },
    controller,
    timedOut: false,
    ticks: 0,
    startedAt: performance.now(),
    emit: () => {},
    mergeDelta: () => false,
    finishers: finishersFor({ agent, store, session }),
    counted: {
      inputTokens: record.metrics.inputTokens,
      outputTokens: record.metrics.outputTokens,
      totalTokens: record.metrics.totalTokens,
      costUsd: record.metrics.costUsd ?? 0,
      estimatedTokens: record.metrics.estimatedTokens ?? 0,
    },
  };
  return run;
}

/** The user's memories most relevant to this run's input, as a prompt section. */
async function memoriesFor(build: BuildRunOptions, limit: number) {
  const { store, session, record } = build;
  const all = await store.listMemories({ userId: session.userId, limit: 500 });
  const input = transcript(record.messages.filter((m) => m.role === 'user'));
  return memoryPrompt(relevantMemories(all, input, limit));
}
