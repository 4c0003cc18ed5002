// Reading a /v1 request: its credential, its JSON body (size-capped), the session it names,
// and its input held to the server's run limits.
import type { IncomingMessage } from 'node:http';
import { AgentRpcError, type Message } from '@agentrpc/core';
import { id } from '../routers/schemas.ts';
import type { Services } from '../trpc/context.ts';

/** The credential, as the rest of the API takes it. */
export function bearer(req: IncomingMessage): string | undefined {
  return req.headers.authorization;
}

/** The request body as JSON, refused past `maxBytes` (413) or when it is not JSON (400). */
export function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (part: Buffer) => {
      size += part.length;
      if (size > maxBytes) {
        reject(
          Object.assign(new AgentRpcError('BAD_INPUT', `body over ${maxBytes} bytes`), {
            tooLarge: true,
          }),
        );
        req.destroy();
        return;
      }
      parts.push(part);
    });
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(parts).toString('utf8')));
      } catch {
        reject(new AgentRpcError('BAD_INPUT', 'the body is not JSON'));
      }
    });
    req.on('error', reject);
  });
}

/** The text characters and images of the input, held to the server's run limits. */
export function checkLimits(input: Message[], services: Services): void {
  let chars = 0;
  let images = 0;
  for (const { content } of input) {
    if (typeof content === 'string') chars += content.length;
    else
      for (const part of content ?? []) {
        if (part.type === 'text') chars += part.text.length;
        else images++;
      }
  }
  const { maxInputChars, maxAttachments } = services.limits;
  if (chars > maxInputChars) {
    throw new AgentRpcError(
      'BAD_INPUT',
      `messages have ${chars} characters; the limit is ${maxInputChars}`,
    );
  }
  if (images > maxAttachments) {
    throw new AgentRpcError(
      'BAD_INPUT',
      `${images} images; the limit is ${maxAttachments} per run`,
    );
  }
}

/** The agentrpc session to run in: the X-Session-Id header, else metadata.session_id. */
export function sessionIdOf(req: IncomingMessage, metadata: Record<string, unknown> | undefined) {
  const value = req.headers['x-session-id'] ?? metadata?.session_id;
  if (value === undefined) return undefined;
  const parsed = id.safeParse(value);
  if (!parsed.success)
    throw new AgentRpcError('BAD_INPUT', 'X-Session-Id: letters, digits, _ . : - only');
  return parsed.data;
}
