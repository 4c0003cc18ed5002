import { describe, expect, it } from 'vitest';
import { AgentRpcError, withoutStackTrace } from './errors.ts';

describe('withoutStackTrace', () => {
  it('makes an error whose stack names it and nothing more', () => {
    const error = withoutStackTrace(() => new AgentRpcError('RATE_LIMITED', 'busy'));
    expect(error.stack).toBe('AgentRpcError: busy');
    expect(error.code).toBe('RATE_LIMITED');
    expect(new AgentRpcError('RATE_LIMITED', 'busy').stack).toMatch(/\n\s+at /);
  });

  it('puts the stack trace limit back, also when making the error throws', () => {
    const limit = Error.stackTraceLimit;
    expect(() =>
      withoutStackTrace(() => {
        throw new Error('cannot');
      }),
    ).toThrow('cannot');
    expect(Error.stackTraceLimit).toBe(limit);
  });
});
