// What the hand-written transports need of the tRPC setup — the transformer,
// the SSE options and the error shape a client gets — handed to them
// explicitly, built from the same options that initTRPC is given (trpc/init.ts),
// so nothing is read out of a router's internals.
import type { TRPCDefaultErrorShape as DefaultErrorShape, TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';

interface DataTransformer {
  serialize(value: unknown): unknown;
  deserialize(value: unknown): unknown;
}

/** A transformer for both directions, as tRPC's combined form has it. */
export interface CombinedTransformer {
  input: DataTransformer;
  output: DataTransformer;
}

export interface SseOptions {
  ping?: { enabled: boolean; intervalMs?: number };
  client?: { reconnectAfterInactivityMs?: number };
  /** A stream open this long is ended, so the client reconnects and resumes. */
  maxDurationMs?: number;
}

export type ErrorFormatter = (opts: { shape: DefaultErrorShape; error: TRPCError }) => unknown;

export interface TransportConfig {
  transformer: CombinedTransformer;
  sse: SseOptions;
  /** The error shape a client gets for `error` in the procedure at `path`. */
  errorShape(error: TRPCError, path: string | undefined): unknown;
}

export function transportConfig(options: {
  transformer: DataTransformer | CombinedTransformer;
  sse?: SseOptions;
  errorFormatter?: ErrorFormatter;
}): TransportConfig {
  const { transformer } = options;
  const combined =
    'input' in transformer ? transformer : { input: transformer, output: transformer };
  const format = options.errorFormatter ?? (({ shape }) => shape);
  return {
    transformer: combined,
    sse: options.sse ?? {},
    errorShape(error, path) {
      // tRPC's default shape, which an errorFormatter starts from.
      const shape: DefaultErrorShape = {
        message: error.message,
        code: TRPC_ERROR_CODES_BY_KEY[error.code],
        data: {
          code: error.code,
          httpStatus: getHTTPStatusCodeFromError(error),
          ...(path === undefined ? {} : { path }),
        },
      };
      return format({ shape, error });
    },
  };
}
