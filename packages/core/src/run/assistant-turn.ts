// The model's answer for one call: added to the run's messages and output.
import type { Message, ToolCall } from '../message/types.ts';
import type { ActiveRun } from './active-run.ts';

export interface AssistantTurn {
  content: string;
  toolCalls: ToolCall[];
}

/** Adds the model's answer to the run's messages and output. */
export function recordTurn(
  run: ActiveRun,
  answer: { content: string; reasoning: string; toolCalls: ToolCall[] },
): AssistantTurn {
  const { content, reasoning, toolCalls } = answer;
  if (reasoning) run.output.reasoningContent = (run.output.reasoningContent ?? '') + reasoning;
  // An answer with neither text nor tool calls is kept as "", not null: providers
  // (OpenAI, llama.cpp) refuse an assistant message with null content and no tool
  // calls, and every later turn of the session replays it.
  const message: Message = {
    role: 'assistant',
    content: toolCalls.length ? content || null : content,
  };
  if (toolCalls.length) message.toolCalls = toolCalls;
  if (reasoning) message.reasoningContent = reasoning;
  run.output.messages.push(message);
  return { content, toolCalls };
}
