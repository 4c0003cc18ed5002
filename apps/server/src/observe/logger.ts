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
      // A JWT or bearer token inside free text (an error message) is cut out too.
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((arg) => (typeof arg === 'string' ? scrubSecrets(arg) : arg));
          method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
    },
    options.destination,
  );
}

const jwtPattern = /eyJ[\w-]+\.[\w-]+\.[\w-]+/g;
const bearerPattern = /(Bearer\s+)\S+/gi;

export function scrubSecrets(text: string): string {
  return text.replace(jwtPattern, '[redacted-jwt]').replace(bearerPattern, '$1[redacted]');
}
