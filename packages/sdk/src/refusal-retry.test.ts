import { describe, expect, it } from 'vitest';
import { AgentRpcClientError } from './client-error.ts';
import { checkRetryRefusals, refusalWaitMs, retryingRefusals } from './refusal-retry.ts';

const refusal = (retryAfter?: number) =>
  new AgentRpcClientError(
    'TOO_MANY_REQUESTS',
    'busy',
    retryAfter === undefined ? {} : { retryAfter },
  );

describe('refusalWaitMs', () => {
  it("waits the server's Retry-After and up to a quarter more, as many times as allowed", () => {
    const options = { maxRetries: 2 };
    for (let i = 0; i < 50; i++) {
      const waitMs = refusalWaitMs(refusal(1), 0, options) as number;
      expect(waitMs).toBeGreaterThanOrEqual(1000);
      expect(waitMs).toBeLessThanOrEqual(1250);
    }
    expect(refusalWaitMs(refusal(1), 1, options)).toBeGreaterThanOrEqual(1000);
    expect(refusalWaitMs(refusal(1), 2, options)).toBeUndefined();
  });

  it('does not try again what was not a refusal, or asks to wait too long', () => {
    const options = { maxRetries: 3, maxWaitMs: 5_000 };
    expect(refusalWaitMs(refusal(), 0, options)).toBeUndefined();
    expect(refusalWaitMs(refusal(6), 0, options)).toBeUndefined();
    expect(refusalWaitMs(refusal(5), 0, options)).toBeGreaterThanOrEqual(5_000);
    const failed = new AgentRpcClientError('INTERNAL_SERVER_ERROR', 'boom', { retryAfter: 1 });
    expect(refusalWaitMs(failed, 0, options)).toBeUndefined();
    expect(refusalWaitMs(refusal(1), 0, { maxRetries: 0 })).toBeUndefined();
  });
});

describe('retryingRefusals', () => {
  it('calls again after a refusal and gives the answer, or throws the last refusal', async () => {
    let calls = 0;
    const answer = await retryingRefusals(
      async () => {
        calls++;
        if (calls < 3) throw refusal(0.01);
        return 'taken';
      },
      { maxRetries: 2 },
    );
    expect(answer).toBe('taken');
    expect(calls).toBe(3);
    calls = 0;
    const refusedTwice = async () => {
      calls++;
      throw refusal(0.01);
    };
    await expect(retryingRefusals(refusedTwice, { maxRetries: 1 })).rejects.toMatchObject({
      code: 'TOO_MANY_REQUESTS',
    });
    expect(calls).toBe(2);
    // Without options, once; other errors come out as client errors.
    await expect(
      retryingRefusals(() => Promise.reject(new Error('x')), undefined),
    ).rejects.toBeInstanceOf(AgentRpcClientError);
  });
});

describe('checkRetryRefusals', () => {
  it('refuses counts and waits no call could follow', () => {
    expect(() => checkRetryRefusals({ maxRetries: 2, maxWaitMs: 0 })).not.toThrow();
    expect(() => checkRetryRefusals(undefined)).not.toThrow();
    expect(() => checkRetryRefusals({ maxRetries: -1 })).toThrow(RangeError);
    expect(() => checkRetryRefusals({ maxRetries: Number.NaN })).toThrow(/maxRetries/);
    expect(() => checkRetryRefusals({ maxRetries: 1, maxWaitMs: -5 })).toThrow(/maxWaitMs/);
    // A count that is not a number never retries, even unchecked.
    expect(refusalWaitMs(refusal(1), 0, { maxRetries: Number.NaN })).toBeUndefined();
  });
});
