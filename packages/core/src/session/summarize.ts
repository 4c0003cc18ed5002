// Session summaries: after a run (every N runs), the model condenses the
// session so far; the summary stands in for history older than the replay window.
import type { Message } from '../message/types.ts';
import { completeText } from '../model/complete-text.ts';
import type { Model } from '../model/types.ts';

export interface SummaryOptions {
  /** Summarise after every N-th run of a session (default 1). */
  everyRuns?: number;
  /** Model for summaries (default: the agent's). */
  model?: Model;
}

const instructions =
  'You keep a running summary of a conversation between a user and an assistant. ' +
  'Given the summary so far and the latest exchange, write the new summary: the facts, ' +
  'decisions, open questions and user preferences that matter for continuing the conversation. ' +
  'Plain text, at most 200 words, no preamble.';

function transcript(messages: Message[]): string {
  return messages
    .filter((m) => (m.role === 'user' || m.role === 'assistant') && m.content)
    .map((m) => {
      const text =
        typeof m.content === 'string'
          ? m.content
          : (m.content ?? []).map((p) => (p.type === 'text' ? p.text : `[${p.type}]`)).join(' ');
      return `${m.role}: ${text}`;
    })
    .join('\n');
}

export function summarizeSession(options: {
  model: Model;
  previous: string | undefined;
  messages: Message[];
  signal?: AbortSignal;
}): Promise<string> {
  const content = `Summary so far:\n${options.previous || '(none)'}\n\nLatest exchange:\n${transcript(options.messages)}`;
  return completeText(options.model, {
    messages: [
      { role: 'system', content: instructions },
      { role: 'user', content },
    ],
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

export { transcript };
