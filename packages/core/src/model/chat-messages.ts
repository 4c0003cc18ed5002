// Converts agentrpc Messages into the provider's Chat Completions message format.
import type {
  ChatCompletionContentPart,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import { AgentRpcError } from '../errors.ts';
import { resolveMedia, toDataUrl } from '../message/media.ts';
import type { ContentPart, Message } from '../message/types.ts';
import type { ProviderQuirks } from './types.ts';

const audioFormats: Record<string, string> = {
  'audio/wav': 'wav',
  'audio/x-wav': 'wav',
  'audio/wave': 'wav',
  'audio/mpeg': 'mp3',
  'audio/mp3': 'mp3',
  'audio/flac': 'flac',
  'audio/ogg': 'ogg',
  'audio/webm': 'webm',
  'audio/mp4': 'm4a',
};

function convertPart(part: ContentPart, quirks: ProviderQuirks): ChatCompletionContentPart {
  switch (part.type) {
    case 'text':
      return { type: 'text', text: part.text };
    case 'image': {
      const media = resolveMedia(part.image, 'image');
      if (media.kind === 'url' && quirks.imageURLs === false) {
        throw new AgentRpcError(
          'BAD_INPUT',
          `image: provider "${quirks.name}" takes images as data, not a URL; pass base64 or bytes`,
        );
      }
      const detail = typeof part.image === 'string' ? undefined : part.image.detail;
      return {
        type: 'image_url',
        image_url: { url: toDataUrl(media, 'image/png'), ...(detail ? { detail } : {}) },
      };
    }
    case 'audio': {
      if (quirks.audio === false) {
        throw new AgentRpcError(
          'BAD_INPUT',
          `audio input is not supported by provider "${quirks.name}"`,
        );
      }
      const media = resolveMedia(part.audio, 'audio');
      if (media.kind === 'url') {
        throw new AgentRpcError(
          'BAD_INPUT',
          'audio: Chat Completions takes audio as data, not a URL; pass base64 or bytes',
        );
      }
      const format = part.audio.format ?? audioFormats[media.mimeType ?? ''] ?? 'wav';
      return {
        type: 'input_audio',
        input_audio: { data: media.value, format },
      } as ChatCompletionContentPart;
    }
    case 'video': {
      if (!quirks.video) {
        throw new AgentRpcError(
          'BAD_INPUT',
          `video input is not supported by provider "${quirks.name}"`,
        );
      }
      const media = resolveMedia(part.video, 'video');
      // video_url is a provider extension (e.g. Zhipu GLM-4V), not in the openai types.
      return {
        type: 'video_url',
        video_url: { url: toDataUrl(media, 'video/mp4') },
      } as unknown as ChatCompletionContentPart;
    }
    case 'file': {
      const { filename } = part.file;
      if ('fileId' in part.file) return { type: 'file', file: { file_id: part.file.fileId } };
      const media = resolveMedia(part.file, 'file');
      if (media.kind === 'url') {
        throw new AgentRpcError(
          'BAD_INPUT',
          'file: Chat Completions takes files as data or an uploaded fileId, not a URL',
        );
      }
      return {
        type: 'file',
        file: {
          file_data: toDataUrl(media, 'application/octet-stream'),
          ...(filename ? { filename } : {}),
        },
      };
    }
  }
}

function textOnly(content: Message['content']): string {
  if (content === null) return '';
  if (typeof content === 'string') return content;
  return content.map((part) => (part.type === 'text' ? part.text : '')).join('');
}

export function toChatMessage(
  message: Message,
  quirks: ProviderQuirks,
): ChatCompletionMessageParam {
  switch (message.role) {
    case 'system':
      return { role: 'system', content: textOnly(message.content) };
    case 'developer':
      // Most servers other than OpenAI's know only `system` and refuse the message otherwise.
      return {
        role: quirks.developerRole === false ? 'system' : 'developer',
        content: textOnly(message.content),
      };
    case 'tool':
      return {
        role: 'tool',
        tool_call_id: message.toolCallId ?? '',
        content: textOnly(message.content),
      };
    case 'assistant':
      return {
        role: 'assistant',
        // Null only beside tool calls, and only where the provider takes it; a
        // stored empty reply (null, from before it was kept as "") goes out as "".
        content:
          message.content === null && message.toolCalls?.length && quirks.nullContentWithToolCalls
            ? null
            : textOnly(message.content),
        ...(message.toolCalls?.length
          ? {
              tool_calls: message.toolCalls.map((call) => ({
                id: call.id,
                type: 'function' as const,
                function: { name: call.name, arguments: call.arguments },
              })),
            }
          : {}),
      };
    case 'user':
      return {
        role: 'user',
        content: userContent(message.content, quirks),
        ...(message.name ? { name: message.name } : {}),
      };
  }
}

/** A user message's content: a string, or parts where the provider takes them. */
function userContent(content: Message['content'], quirks: ProviderQuirks) {
  if (typeof content === 'string' || content === null) return content ?? '';
  if (quirks.contentParts !== false) return content.map((part) => convertPart(part, quirks));
  const other = content.find((part) => part.type !== 'text');
  if (other) {
    throw new AgentRpcError(
      'BAD_INPUT',
      `${other.type} input is not supported by provider "${quirks.name}": it takes text only`,
    );
  }
  return textOnly(content);
}

export function toChatMessages(
  messages: Message[],
  quirks: ProviderQuirks,
): ChatCompletionMessageParam[] {
  return messages.map((message) => toChatMessage(message, quirks));
}
