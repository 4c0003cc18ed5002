// Input schemas shared by the routers, with sizes capped so one request cannot
// exhaust the server. Text limits come from the configured Limits.
import { AgentRpcError } from '@agentrpc/core';
import { z } from 'zod';
import type { Limits } from '../config/define-config.ts';
import { valueNestsDeeperThan } from '../http/json-depth.ts';

export const id = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\w.:-]+$/, 'letters, digits, _ . : - only');

/** `runId:seq` as sent by tracked events; a bare number is accepted too. */
export const lastEventId = z.string().max(200).nullish();

const base64 = z.string().max(12_000_000);
const url = z.string().max(8_192);
const mediaSource = z.union([
  z.object({ url }),
  z.object({ base64, mimeType: z.string().max(100).optional() }),
]);

const image = z.union([
  url,
  mediaSource.and(z.object({ detail: z.enum(['auto', 'low', 'high']).optional() })),
]);
const audio = mediaSource.and(z.object({ format: z.string().max(20).optional() }));
const video = z.union([url, mediaSource]);
const file = z
  .union([mediaSource, z.object({ fileId: z.string().max(200) })])
  .and(z.object({ filename: z.string().max(255).optional() }));

/** Deepest nesting of free-form JSON (session state, metadata, tool results): deeper is BAD_REQUEST. */
export const maxJsonDepth = 32;

/** A free-form JSON object, capped in depth before any of it is stored. */
export const json = z
  .record(z.string().max(200), z.unknown())
  .refine((value) => !valueNestsDeeperThan(value, maxJsonDepth), {
    message: `nested more than ${maxJsonDepth} levels deep`,
  });

/** Absolute caps; the configured Limits are checked on top by checkRunLimits. */
const text = z.string().min(1, 'input is empty').max(1_000_000);
const message = z.object({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  content: z.union([text, z.null(), z.array(z.object({ type: z.literal('text'), text })).max(50)]),
  name: z.string().max(64).optional(),
  toolCallId: z.string().max(200).optional(),
});

export const runInput = z.object({
  agentId: id,
  input: z.union([text, z.array(message).min(1).max(100)]),
  sessionId: id.optional(),
  sessionName: z.string().max(200).optional(),
  /** Client-chosen run id, so a retried request never starts a second run. */
  runId: id.optional(),
  images: z.array(image).max(100).optional(),
  audio: z.array(audio).max(100).optional(),
  videos: z.array(video).max(100).optional(),
  files: z.array(file).max(100).optional(),
  sessionState: json.optional(),
  metadata: json.optional(),
  waitForSession: z.boolean().optional(),
});

export type RunInputBody = z.infer<typeof runInput>;

function inputChars(input: RunInputBody['input']): number {
  if (typeof input === 'string') return input.length;
  return input.reduce((sum, m) => sum + JSON.stringify(m.content ?? '').length, 0);
}

export function checkRunLimits(body: RunInputBody, limits: Limits): void {
  const chars = inputChars(body.input);
  if (chars > limits.maxInputChars) {
    throw new AgentRpcError(
      'BAD_INPUT',
      `input has ${chars} characters; the limit is ${limits.maxInputChars}`,
    );
  }
  const attachments =
    (body.images?.length ?? 0) +
    (body.audio?.length ?? 0) +
    (body.videos?.length ?? 0) +
    (body.files?.length ?? 0);
  if (attachments > limits.maxAttachments) {
    throw new AgentRpcError(
      'BAD_INPUT',
      `${attachments} attachments; the limit is ${limits.maxAttachments} per run`,
    );
  }
}

export const continueInput = z.object({
  runId: id,
  approvals: z
    .record(
      z.string().max(200),
      z.union([
        z.boolean(),
        z.object({ approved: z.boolean(), reason: z.string().max(2000).optional() }),
      ]),
    )
    .optional(),
  toolResults: json.optional(),
});

export const pageInput = {
  limit: z.number().int().min(1).max(100).optional(),
  cursor: z.string().max(500).optional(),
};

/** Parses `runId:seq` (or `seq`) into the seq after which to resume. */
export function seqFrom(lastEventIdValue: string | null | undefined, runId: string): number {
  if (!lastEventIdValue) return 0;
  const [idPart, seqPart] = lastEventIdValue.includes(':')
    ? [
        lastEventIdValue.slice(0, lastEventIdValue.lastIndexOf(':')),
        lastEventIdValue.slice(lastEventIdValue.lastIndexOf(':') + 1),
      ]
    : [runId, lastEventIdValue];
  const seq = Number(seqPart);
  if (idPart !== runId || !Number.isInteger(seq) || seq < 0) return 0;
  return seq;
}
