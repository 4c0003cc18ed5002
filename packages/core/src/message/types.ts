// The Message type used for input, history and output, independent of any provider.

/** Bytes given one of three ways. URLs are passed through where the provider accepts them. */
export type MediaSource =
  | { url: string }
  | { base64: string; mimeType?: string }
  | { bytes: Uint8Array; mimeType?: string };

export type ImageInput = string | (MediaSource & { detail?: 'auto' | 'low' | 'high' });
export type AudioInput = MediaSource & { format?: string };
export type VideoInput = string | MediaSource;
export type FileInput = (MediaSource | { fileId: string }) & { filename?: string };

export type ContentPart =
  | { type: 'text'; text: string }
  | { type: 'image'; image: ImageInput }
  | { type: 'audio'; audio: AudioInput }
  | { type: 'video'; video: VideoInput }
  | { type: 'file'; file: FileInput };

export interface ToolCall {
  id: string;
  name: string;
  /** Raw JSON text of the arguments, as the model produced it. */
  arguments: string;
}

export interface MessageMetrics {
  inputTokens?: number;
  outputTokens?: number;
  timeToFirstTokenMs?: number;
  durationMs?: number;
}

export type MessageRole = 'system' | 'developer' | 'user' | 'assistant' | 'tool';

export interface Message {
  role: MessageRole;
  content: string | ContentPart[] | null;
  name?: string;
  toolCalls?: ToolCall[];
  toolCallId?: string;
  reasoningContent?: string;
  metrics?: MessageMetrics;
}

/** Audio the model spoke (`modalities: ['text', 'audio']`). */
export interface AudioOutput {
  id: string;
  /** base64 */
  data: string;
  transcript: string;
}
