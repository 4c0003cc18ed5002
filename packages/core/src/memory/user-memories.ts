// Memories about a user, kept across sessions: chosen for the prompt by
// relevance to the input, extracted after a run, or written by a tool.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AgentRpcError } from '../errors.ts';
import type { Message } from '../message/types.ts';
import { completeText } from '../model/complete-text.ts';
import type { Model } from '../model/types.ts';
import { transcript } from '../session/summarize.ts';
import type { Memory } from '../session/types.ts';
import type { Store } from '../store/types.ts';
import { defineTool } from '../tool/define-tool.ts';

export interface MemoryOptions {
  /** After each run, let the model pick out lasting facts about the user (default true). */
  extract?: boolean;
  /** Give the agent a `remember` tool to store facts itself (default false). */
  tool?: boolean;
  /** Memories put in the prompt (default 10). */
  maxInPrompt?: number;
  /** Model for extraction (default: the agent's). */
  model?: Model;
}

const words = (text: string) => new Set(text.toLowerCase().match(/[\p{L}\p{N}]{4,}/gu) ?? []);

/** The memories most related to `input` by shared words, then the most recent. */
export function relevantMemories(memories: Memory[], input: string, limit: number): Memory[] {
  const query = words(input);
  const scored = memories.map((memory, index) => {
    const own = words(`${memory.memory} ${memory.topics.join(' ')}`);
    let score = 0;
    for (const word of own) if (query.has(word)) score++;
    return { memory, score, index };
  });
  scored.sort((a, b) => b.score - a.score || a.index - b.index);
  return scored.slice(0, limit).map((s) => s.memory);
}

export function memoryPrompt(memories: Memory[]): string | undefined {
  if (!memories.length) return undefined;
  return `What you know about the user from earlier conversations:\n${memories.map((m) => `- ${m.memory}`).join('\n')}`;
}

const extracted = z.object({
  memories: z
    .array(
      z.object({
        memory: z.string().min(1).max(1000),
        topics: z.array(z.string()).max(10).default([]),
      }),
    )
    .max(20),
});

const extractionInstructions =
  'You maintain long-term memories about a user. From the exchange below, list new facts about the user ' +
  'worth remembering in later conversations (preferences, personal details, goals). Skip anything already ' +
  'known, anything about the assistant, and passing details. Answer only with JSON: ' +
  '{"memories": [{"memory": "…", "topics": ["…"]}]} — an empty list when there is nothing new.';

export async function extractMemories(options: {
  model: Model;
  known: Memory[];
  messages: Message[];
  signal?: AbortSignal;
}): Promise<{ memory: string; topics: string[] }[]> {
  const known = options.known.map((m) => `- ${m.memory}`).join('\n') || '(none)';
  const text = await completeText(options.model, {
    messages: [
      { role: 'system', content: extractionInstructions },
      {
        role: 'user',
        content: `Known memories:\n${known}\n\nExchange:\n${transcript(options.messages)}`,
      },
    ],
    responseFormat: { type: 'json_object' },
    ...(options.signal ? { signal: options.signal } : {}),
  });
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\s*```(?:json)?\s*|\s*```\s*$/g, ''));
  } catch {
    throw new AgentRpcError(
      'BAD_OUTPUT',
      `memory extraction did not answer JSON: ${text.slice(0, 200)}`,
    );
  }
  const parsed = extracted.safeParse(json);
  if (!parsed.success) {
    throw new AgentRpcError(
      'BAD_OUTPUT',
      `memory extraction answered the wrong shape: ${parsed.error.message}`,
    );
  }
  const seen = new Set(options.known.map((m) => m.memory.trim().toLowerCase()));
  return parsed.data.memories.filter((m) => !seen.has(m.memory.trim().toLowerCase()));
}

export function newMemory(fields: {
  userId: string;
  agentId: string;
  memory: string;
  topics: string[];
}): Memory {
  const now = Date.now();
  return { memoryId: randomUUID(), ...fields, createdAt: now, updatedAt: now };
}

/** The `remember` tool: the model stores a fact about the current user. */
export function rememberTool(store: Store, onStored: (memory: Memory) => void) {
  return defineTool({
    name: 'remember',
    description:
      'Store a lasting fact about the user (a preference, a personal detail, a goal) for later conversations.',
    parameters: z.object({
      memory: z.string().min(1).max(1000).describe('The fact, as a short sentence about the user'),
      topics: z.array(z.string().max(50)).max(10).optional(),
    }),
    execute: async ({ memory, topics }, ctx) => {
      const stored = await store.createMemory(
        newMemory({ userId: ctx.userId, agentId: ctx.agentId, memory, topics: topics ?? [] }),
      );
      onStored(stored);
      return { stored: true, memoryId: stored.memoryId };
    },
  });
}
