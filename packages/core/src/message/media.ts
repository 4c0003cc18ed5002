// Resolves images, audio, video and files given as URL, base64 or bytes into
// JSON-safe sources (bytes become base64) with a known MIME type.
import { AgentRpcError } from '../errors.ts';
import type { ContentPart, MediaSource, Message } from './types.ts';

const signatures: [number[], string][] = [
  [[0x89, 0x50, 0x4e, 0x47], 'image/png'],
  [[0xff, 0xd8, 0xff], 'image/jpeg'],
  [[0x47, 0x49, 0x46, 0x38], 'image/gif'],
  [[0x25, 0x50, 0x44, 0x46], 'application/pdf'],
  [[0x49, 0x44, 0x33], 'audio/mpeg'],
  [[0xff, 0xfb], 'audio/mpeg'],
  [[0x66, 0x4c, 0x61, 0x43], 'audio/flac'],
  [[0x4f, 0x67, 0x67, 0x53], 'audio/ogg'],
];

/** Guesses a MIME type from the first bytes (RIFF containers by their form type). */
export function sniffMimeType(bytes: Uint8Array): string | undefined {
  const ascii = (from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to));
  if (ascii(0, 4) === 'RIFF') {
    const form = ascii(8, 12);
    if (form === 'WEBP') return 'image/webp';
    if (form === 'WAVE') return 'audio/wav';
    if (form === 'AVI ') return 'video/x-msvideo';
  }
  if (ascii(4, 8) === 'ftyp') return 'video/mp4';
  for (const [magic, type] of signatures) {
    if (magic.every((byte, i) => bytes[i] === byte)) return type;
  }
  return undefined;
}

export interface ResolvedMedia {
  kind: 'url' | 'base64';
  /** The URL, or the base64 data without a data: prefix. */
  value: string;
  mimeType?: string;
}

const dataUrl = /^data:([^;,]+)?(?:;[^,]*)?;base64,(.*)$/s;

/** Turns any MediaSource into a URL or base64 data with its MIME type. */
export function resolveMedia(source: MediaSource | string, what: string): ResolvedMedia {
  if (typeof source === 'string') return resolveMedia({ url: source }, what);
  if ('url' in source) {
    const match = dataUrl.exec(source.url);
    if (match) return { kind: 'base64', value: match[2] ?? '', mimeType: match[1] };
    if (!/^https?:\/\//i.test(source.url)) {
      throw new AgentRpcError(
        'BAD_INPUT',
        `${what}: "${source.url.slice(0, 40)}" is not an http(s) or data: URL`,
      );
    }
    return { kind: 'url', value: source.url };
  }
  if ('bytes' in source) {
    if (!(source.bytes instanceof Uint8Array)) {
      throw new AgentRpcError('BAD_INPUT', `${what}: bytes must be a Uint8Array`);
    }
    const bytes = source.bytes;
    return {
      kind: 'base64',
      value: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'),
      mimeType: source.mimeType ?? sniffMimeType(bytes),
    };
  }
  if (typeof source.base64 !== 'string' || source.base64.length === 0) {
    throw new AgentRpcError('BAD_INPUT', `${what}: base64 data is empty`);
  }
  const mimeType =
    source.mimeType ?? sniffMimeType(Buffer.from(source.base64.slice(0, 24), 'base64'));
  return { kind: 'base64', value: source.base64, mimeType };
}

export function toDataUrl(media: ResolvedMedia, fallbackType: string): string {
  return media.kind === 'url'
    ? media.value
    : `data:${media.mimeType ?? fallbackType};base64,${media.value}`;
}

/** Replaces bytes with base64 so a message can be stored as JSON. */
function storablePart(part: ContentPart): ContentPart {
  const media =
    part.type === 'image'
      ? part.image
      : part.type === 'audio'
        ? part.audio
        : part.type === 'video'
          ? part.video
          : part.type === 'file'
            ? part.file
            : undefined;
  if (!media || typeof media === 'string' || !('bytes' in media)) return part;
  const resolved = resolveMedia(media, part.type);
  const { bytes: _bytes, ...rest } = media;
  const replaced = { ...rest, base64: resolved.value, mimeType: resolved.mimeType };
  return { type: part.type, [part.type]: replaced } as ContentPart;
}

export function storableMessage(message: Message): Message {
  if (!Array.isArray(message.content)) return message;
  return { ...message, content: message.content.map(storablePart) };
}
