// The server's JSON logger (pino). Credentials never reach the log: headers
// and fields that carry them are redacted wherever they appear.
import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger };

export const redactedPaths = [
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'connectionParams.authorization',
  'connectionParams.token',
  'apiKey',
  '*.apiKey',
  'token',
  '*.token',
  'key',
  '*.key',
  'secret',
  '*.secret',
];

export interface LoggerOptions {
  level?: string;
  /** Where lines go (default stdout). */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env.AGENTRPC_LOG_LEVEL ?? 'info',
      base: { service: 'agentrpc' },
      redact: { paths: redactedPaths, censor: '[redacted]' },
      // Errors are serialized with their messages and stacks scrubbed: a provider
      // or library may quote a key or token in what it throws.
      serializers: { err: scrubbedError, error: scrubbedError },
      // A JWT or bearer token inside free text (an error message) is cut out too.
      hooks: {
        logMethod(args, method) {
          const scrubbed: unknown[] = args.map((arg) =>
            typeof arg === 'string' ? scrubSecrets(arg) : arg instanceof Error ? { err: arg } : arg,
          );
          // Without a message pino takes the error's own, unscrubbed: give it the scrubbed one.
          const err = (scrubbed[0] as { err?: unknown } | null)?.err;
          if (err instanceof Error && typeof scrubbed[1] !== 'string') {
            scrubbed.splice(1, 0, scrubSecrets(err.message));
          }
          method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
    },
    options.destination,
  );
}

const jwtPattern = /eyJ[\w-]+\.[\w-]+\.[\w-]+/g;
const bearerPattern = /(Bearer\s+)\S+/gi;
/** Provider-style secret keys (sk-…, sk-proj-…, key-…) quoted in messages. */
const keyPattern = /\b((?:sk|key|api[_-]?key)[-_])[\w-]{12,}/gi;

export function scrubSecrets(text: string): string {
  return text
    .replace(jwtPattern, '[redacted-jwt]')
    .replace(bearerPattern, '$1[redacted]')
    .replace(keyPattern, '$1[redacted]');
}

/** pino's error serializer, with every string it yields (message, stack, causes) scrubbed. */
function scrubbedError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  return scrubStrings(pino.stdSerializers.err(error), 0);
}

function scrubStrings(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return scrubSecrets(value);
  if (typeof value !== 'object' || value === null || depth > 8) return value;
  if (Array.isArray(value)) return value.map((item) => scrubStrings(item, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, scrubStrings(item, depth + 1)]),
  );
}
