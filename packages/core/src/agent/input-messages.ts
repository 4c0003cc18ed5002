// Builds the run's input messages from the text or messages and the media
// passed beside them, ready to store (bytes become base64).
import { AgentRpcError } from '../errors.ts';
import { storableMessage } from '../message/media.ts';
import type { ContentPart, Message } from '../message/types.ts';
import type { RunInput, RunOptions } from './options.ts';

function mediaParts(options: RunOptions): ContentPart[] {
  return [
    ...(options.images ?? []).map((image): ContentPart => ({ type: 'image', image })),
    ...(options.audio ?? []).map((audio): ContentPart => ({ type: 'audio', audio })),
    ...(options.videos ?? []).map((video): ContentPart => ({ type: 'video', video })),
    ...(options.files ?? []).map((file): ContentPart => ({ type: 'file', file })),
  ];
}

function asMessages(input: RunInput): Message[] {
  if (typeof input === 'string') return [{ role: 'user', content: input }];
  if (Array.isArray(input)) {
    if (input.length === 0) return [];
    const first = input[0] as Message | ContentPart;
    return 'role' in first
      ? (input as Message[])
      : [{ role: 'user', content: input as ContentPart[] }];
  }
  return [input];
}

function withMedia(message: Message, parts: ContentPart[]): Message {
  const existing: ContentPart[] =
    typeof message.content === 'string'
      ? [{ type: 'text', text: message.content }]
      : (message.content ?? []);
  return { ...message, content: [...existing, ...parts] };
}

export function inputMessages(input: RunInput, options: RunOptions): Message[] {
  const messages = asMessages(input);
  if (messages.length === 0) throw new AgentRpcError('BAD_INPUT', 'input is empty');
  const media = mediaParts(options);
  if (media.length) {
    const lastUser = messages.findLastIndex((m) => m.role === 'user');
    if (lastUser < 0)
      throw new AgentRpcError('BAD_INPUT', 'images, audio, videos and files need a user message');
    messages[lastUser] = withMedia(messages[lastUser] as Message, media);
  }
  return messages.map(storableMessage);
}

/** A short session name from the first text of the input. */
export function nameFrom(messages: Message[]): string {
  for (const message of messages) {
    const text =
      typeof message.content === 'string'
        ? message.content
        : message.content?.find((p) => p.type === 'text')?.text;
    if (text?.trim()) return text.trim().replace(/\s+/g, ' ').slice(0, 60);
  }
  return 'New session';
}
