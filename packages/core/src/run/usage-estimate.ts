// Token counts for servers that send none (llama.cpp and other local servers
// stream no usage). They are estimated at four characters per token, OpenAI's
// own rule of thumb for English text: no tokenizer fits every model a server
// may load, and an estimate marked as one beats a run that reports 0 tokens and
// costs nothing. The run says so with metrics.usageEstimated.
import type { Message } from '../message/types.ts';
import type { RunMetrics } from './types.ts';

const charsPerToken = 4;

/** Characters of text a model reads in these messages: contents and tool call arguments. */
export function charsOfMessages(messages: Message[]): number {
  let chars = 0;
  for (const message of messages) {
    const { content } = message;
    if (typeof content === 'string') chars += content.length;
    else if (content)
      for (const part of content) if (part.type === 'text') chars += part.text.length;
    for (const call of message.toolCalls ?? []) chars += call.name.length + call.arguments.length;
  }
  return chars;
}

/** Adds estimated tokens for one model call to the run's metrics. */
export function addEstimatedUsage(
  metrics: RunMetrics,
  chars: { input: number; output: number },
): void {
  const input = Math.ceil(chars.input / charsPerToken);
  const output = Math.ceil(chars.output / charsPerToken);
  metrics.inputTokens += input;
  metrics.outputTokens += output;
  metrics.totalTokens += input + output;
  metrics.usageEstimated = true;
  metrics.estimatedTokens = (metrics.estimatedTokens ?? 0) + input + output;
}
