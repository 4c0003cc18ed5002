// The messages of tRPC's WebSocket protocol that a client sends (calls and
// `subscription.stop`), read with zod, and the responses the server sends,
// serialized with the router's transformer.
import { isTrackedEnvelope, TRPCError } from '@trpc/server';
import { z } from 'zod';
import { textNestsDeeperThan } from './json-depth.ts';
import type { ProcedureType } from './procedure-call.ts';
import { subscriptionText, withLastEventId } from './subscription-values.ts';
import type { CombinedTransformer as Transformer } from './transport-config.ts';

const requestId = z
  .union([z.string(), z.number(), z.null()])
  .optional()
  .transform((id) => id ?? null);
const jsonrpc = z.literal('2.0').optional();

const clientMessage = z.union([
  z.object({ id: requestId, jsonrpc, method: z.literal('subscription.stop') }),
  z.object({
    id: requestId,
    jsonrpc,
    method: z.enum(['query', 'mutation', 'subscription']),
    params: z.object({
      path: z.string(),
      input: z.unknown().optional(),
      lastEventId: z.string().optional(),
    }),
  }),
]);

export type ClientMessage = z.infer<typeof clientMessage>;

/** A message a client sent, with its input deserialized; throws (a ZodError) on any other shape. */
export function parseClientMessage(raw: unknown, transformer: Transformer): ClientMessage {
  const message = clientMessage.parse(raw);
  if (message.method === 'subscription.stop') return message;
  const sent = message.params.input;
  const input = sent === undefined ? undefined : transformer.input.deserialize(sent);
  return { ...message, params: { ...message.params, input } };
}

export type RequestId = string | number | null;

/** A call as the connection runs it; `type: 'unknown'` answers for the connection as a whole. */
export interface Call {
  id: RequestId;
  jsonrpc: '2.0' | undefined;
  type: ProcedureType | 'unknown';
  path: string | undefined;
  input: unknown;
}

/** What one message of a message's batch asks for. */
export type MessagePart =
  | { call: Call }
  | { stop: RequestId }
  /** This part could not be read; the others still run. */
  | { unreadable: TRPCError };

/** Calls one message may batch; each runs at once, so a cap keeps one message from flooding the server. */
export const maxBatch = 100;

/**
 * Reads an authenticated client's message, one call or a batch of them.
 * Throws the TRPCError to answer when the message as a whole cannot be read:
 * nested deeper than `maxDepth`, not JSON, or a batch over maxBatch.
 */
export function readMessage(
  text: string,
  options: { maxDepth: number; transformer: Transformer },
): MessagePart[] {
  const { maxDepth, transformer } = options;
  if (textNestsDeeperThan(text, maxDepth)) {
    const message = `a message may nest at most ${maxDepth} levels deep`;
    throw new TRPCError({ code: 'BAD_REQUEST', message });
  }
  let messages: unknown[];
  try {
    const parsed: unknown = JSON.parse(text);
    messages = Array.isArray(parsed) ? parsed : [parsed];
  } catch (cause) {
    throw new TRPCError({ code: 'PARSE_ERROR', cause });
  }
  if (messages.length > maxBatch) {
    const message = `at most ${maxBatch} calls in one message; this one has ${messages.length}`;
    throw new TRPCError({ code: 'BAD_REQUEST', message });
  }
  return messages.map((raw): MessagePart => {
    try {
      const message = parseClientMessage(raw, transformer);
      if (message.method === 'subscription.stop') return { stop: message.id };
      const { lastEventId, path } = message.params;
      const input = withLastEventId(message.params.input, lastEventId);
      return {
        call: { id: message.id, jsonrpc: message.jsonrpc, type: message.method, path, input },
      };
    } catch (cause) {
      return { unreadable: new TRPCError({ code: 'PARSE_ERROR', cause }) };
    }
  });
}

export interface ServerResponse {
  id: string | number | null;
  jsonrpc?: '2.0' | undefined;
  result?: { type: 'started' | 'data' | 'stopped'; id?: string; data?: unknown };
  error?: unknown;
}

/** The response with its data or error serialized by the transformer, as wsLink reads it. */
export function serializeResponse(response: ServerResponse, transformer: Transformer): object {
  if (response.error !== undefined) {
    return { ...response, error: transformer.output.serialize(response.error) };
  }
  if (response.result && 'data' in response.result) {
    return {
      ...response,
      result: { ...response.result, data: transformer.output.serialize(response.result.data) },
    };
  }
  return response;
}

/**
 * For one subscription, the text of each value's `data` response, as
 * `JSON.stringify(serializeResponse(…))` gives it (a tracked value carries its
 * id), made as one text around the value's own: events are most of what a
 * server sends, and the objects around each were garbage.
 */
export function subscriptionDataText(
  call: Pick<ServerResponse, 'id' | 'jsonrpc'>,
  transformer: Transformer,
): (value: unknown) => string {
  const text = subscriptionText(transformer);
  const jsonrpc = call.jsonrpc === undefined ? '' : `,"jsonrpc":${JSON.stringify(call.jsonrpc)}`;
  const head = `{"id":${JSON.stringify(call.id)}${jsonrpc},"result":{"type":"data"`;
  return (value) =>
    isTrackedEnvelope(value)
      ? `${head},"id":${JSON.stringify(value[0])},"data":${text({ id: value[0], data: value[1] })}}}`
      : `${head},"data":${text(value)}}}`;
}
