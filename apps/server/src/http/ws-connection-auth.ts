// The authentication of one WebSocket connection. A client that sent its
// credential in the upgrade's Authorization header is settled before the
// connection opens; one that announced connectionParams must send them as its
// first message, small and within a time limit. Until the credential is
// checked nothing but that message is parsed: calls sent right after it are
// held unread, up to a limit, and handed back once the connection opens (or
// is refused, to be answered with the refusal).
import type { IncomingMessage } from 'node:http';
import { getTRPCErrorFromUnknown, TRPCError } from '@trpc/server';
import { textNestsDeeperThan } from './json-depth.ts';
import { connectionParamsFrom } from './subscription-values.ts';

export type ConnectionParams = Record<string, string | undefined> | null;

export type Authentication<TContext> =
  | { ok: true; ctx: TContext }
  | { ok: false; error: TRPCError };

/** The caller's context, or the refusal as a tRPC error: a refused credential is an answer, not a failure. */
export async function authenticationOf<TContext>(
  authenticate: () => Promise<TContext>,
): Promise<Authentication<TContext>> {
  try {
    return { ok: true, ctx: await authenticate() };
  } catch (cause) {
    return { ok: false, error: getTRPCErrorFromUnknown(cause) };
  }
}

export interface ConnectionAuthOptions<TContext> {
  req: IncomingMessage;
  authenticate: (req: IncomingMessage, params: ConnectionParams) => Promise<TContext>;
  /** Largest connectionParams message (bytes), and how long a connection may take to authenticate. */
  limits: { maxParamsBytes: number; authTimeoutMs: number };
  /** The credential was accepted; `held` are the calls sent meanwhile, to read now. */
  onOpen: (held: string[]) => void;
  /** The credential was refused; `held` are the calls sent meanwhile, to answer with `error`. */
  onRefused: (error: TRPCError, held: string[]) => void;
  /** The client broke a rule (a params message too large, too much sent before authenticating). */
  onBroken: (error: TRPCError) => void;
  /** The connection did not authenticate in time. */
  onTimeout: () => void;
}

/** Messages (and their characters) held while a connection authenticates. */
const maxHeldMessages = 100;
const maxHeldChars = 1024 * 1024;

/** Deepest nesting of a message read before authentication. */
const maxParamsDepth = 8;

/**
 * Whether a message is small enough to read before authentication: the
 * connectionParams message, or a refused connection's call to answer.
 */
export function isSmallMessage(text: string, maxBytes: number): boolean {
  return text.length <= maxBytes && !textNestsDeeperThan(text, maxParamsDepth);
}

export class ConnectionAuth<TContext> {
  #state: 'awaiting-params' | 'authenticating' | 'open' | 'refused' = 'awaiting-params';
  #ctx: TContext | undefined;
  #held: string[] = [];
  #heldChars = 0;
  readonly #timer: NodeJS.Timeout;
  readonly #options: ConnectionAuthOptions<TContext>;

  constructor(options: ConnectionAuthOptions<TContext>) {
    this.#options = options;
    this.#timer = setTimeout(() => {
      if (this.#state !== 'open') options.onTimeout();
    }, options.limits.authTimeoutMs);
  }

  get state(): 'awaiting-params' | 'authenticating' | 'open' | 'refused' {
    return this.#state;
  }

  /** The authenticated caller's context, once the connection is open. */
  get ctx(): TContext | undefined {
    return this.#ctx;
  }

  /** Takes a message that came before the credential was settled: the params, or a call to hold. */
  take(text: string): void {
    if (this.#state === 'awaiting-params') {
      this.#readParams(text);
    } else if (this.#state === 'authenticating') {
      this.#heldChars += text.length;
      if (this.#held.push(text) > maxHeldMessages || this.#heldChars > maxHeldChars) {
        const message = 'too much sent before authentication';
        this.#options.onBroken(new TRPCError({ code: 'TOO_MANY_REQUESTS', message }));
      }
    }
  }

  /** Ends the wait with the credential's verdict (the upgrade's, or the params'). */
  settle(auth: Authentication<TContext>): void {
    clearTimeout(this.#timer);
    const held = this.#held;
    this.#held = [];
    this.#heldChars = 0;
    if (auth.ok) {
      this.#state = 'open';
      this.#ctx = auth.ctx;
      this.#options.onOpen(held);
    } else {
      this.#state = 'refused';
      this.#options.onRefused(auth.error, held);
    }
  }

  /** Stops the time limit (the connection closed). */
  dispose(): void {
    clearTimeout(this.#timer);
  }

  #readParams(text: string) {
    const { req, authenticate, limits } = this.#options;
    if (!isSmallMessage(text, limits.maxParamsBytes)) {
      const message = `the first message must be connectionParams of at most ${limits.maxParamsBytes} bytes`;
      this.#options.onBroken(new TRPCError({ code: 'PAYLOAD_TOO_LARGE', message }));
      return;
    }
    this.#state = 'authenticating';
    void authenticationOf(() => authenticate(req, paramsOf(text))).then((auth) =>
      this.settle(auth),
    );
  }
}

/** The params of a connectionParams message; PARSE_ERROR for any other text. */
function paramsOf(text: string): ConnectionParams {
  try {
    const message = JSON.parse(text) as { method?: unknown; data?: unknown };
    if (message.method !== 'connectionParams') throw new Error('not connectionParams');
    return connectionParamsFrom(message.data);
  } catch (cause) {
    throw new TRPCError({ code: 'PARSE_ERROR', message: 'Malformed connection params', cause });
  }
}
