// A tRPC call turned away before its procedure (run/early-refusals.ts),
// answered as tRPC answers a refused call over HTTP: the error's status
// (429), Retry-After, and `{ error }` with the error's shape as the router's
// transformer writes it, so a client cannot tell it from the procedure's own
// refusal. A subscription over SSE is answered this way before its stream
// begins (sse-subscriptions.ts), and so is a lone call over HTTP that would
// take a run slot (earlyCallRefusals), before tRPC reads its body.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { retryAfterOf } from '../trpc/error-codes.ts';
import { subscriptionText } from './subscription-values.ts';
import type { TransportConfig } from './transport-config.ts';

export type AnswerRefusal = (res: ServerResponse, error: TRPCError, path: string) => void;

export function answerRefusals(config: TransportConfig): AnswerRefusal {
  const serializedText = subscriptionText(config.transformer);
  return (res, error, path) => {
    const retryAfter = retryAfterOf(error);
    res.writeHead(getHTTPStatusCodeFromError(error), {
      'content-type': 'application/json',
      ...(retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) }),
    });
    res.end(`{"error":${serializedText(config.errorShape(error, path))}}`);
  };
}

export interface EarlyCallRefusalOptions {
  config: TransportConfig;
  /** Where tRPC is mounted, e.g. `/trpc/`. */
  basePath: string;
  /** The refusal a call of this path gets now, if any (its caller is not known yet). */
  refusal: (path: string) => TRPCError | undefined;
}

/**
 * For tRPC's HTTP handler: answers a POST of one call (not a batch, whose
 * other calls must be answered) that `refusal` refuses, and says whether it
 * did. The body is left unread: Node's server lets it go once the answer is
 * sent, and the connection serves the client's next request.
 */
export function earlyCallRefusals(options: EarlyCallRefusalOptions) {
  const answer = answerRefusals(options.config);
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.method !== 'POST') return false;
    const [pathname = '', query = ''] = (req.url ?? '').split('?');
    if (/(^|&)batch=/.test(query)) return false;
    const path = pathname.slice(options.basePath.length);
    const refusal = options.refusal(path);
    if (!refusal) return false;
    answer(res, refusal, path);
    return true;
  };
}
