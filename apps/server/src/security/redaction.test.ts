// Secrets inside errors never reach the log: a key, a bearer header or a JWT
// quoted in an error's message, stack or cause is cut out, however it is logged.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../observe/logger.ts';

const jwt =
  'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSIsImV4cCI6OTk5OTk5OTk5OX0.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
const apiKey = 'sk-live-0123456789abcdefghij';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, logger: createLogger({ destination }) };
}

describe('redaction of errors', () => {
  it('scrubs keys and tokens from error messages, stacks and causes', () => {
    const { lines, logger } = capture();
    const cause = new Error(`upstream said: Incorrect API key provided: ${apiKey}`);
    const error = new Error(`request with Authorization: Bearer ${apiKey} failed for ${jwt}`, {
      cause,
    });
    logger.error({ err: error }, 'provider failed');
    logger.error(error);
    logger.warn({ error }, 'as error field');
    const text = lines.join('');
    expect(lines).toHaveLength(3);
    expect(text).not.toContain(apiKey);
    expect(text).not.toContain(jwt);
    expect(text).not.toContain('0123456789abcdefghij');
    expect(text).toContain('[redacted');
    expect(text).toContain('provider failed');
  });
});
