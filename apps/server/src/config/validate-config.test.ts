import { Agent, DemoModel } from '@agentrpc/core';
import { describe, expect, it } from 'vitest';
import { startServer } from '../http/create-server.ts';
import { ConfigError, validateConfig } from './validate-config.ts';

const agent = (id: string) => new Agent({ id, model: new DemoModel() });

describe('validateConfig', () => {
  it('accepts a working config as it is', () => {
    const config = { agents: [agent('a')], auth: { apiKeys: [{ key: 'k', userId: 'u' }] } };
    expect(validateConfig(config)).toBe(config);
  });

  it('names every problem by its path', () => {
    const problems = () =>
      validateConfig(
        {
          agents: [agent('a'), agent('a')],
          auth: { apiKeys: [{ userId: 'u' }, { key: '  ', userId: '' }], jwt: {} },
          limits: { maxConcurrentRunsPerUser: 0 },
          peers: { secret: 'short', url: 'ftp://peer' },
          keepAliveTimeoutMs: 500,
        },
        'my.config.ts',
      );
    expect(problems).toThrow(ConfigError);
    expect(problems).toThrow(/^my\.config\.ts is not a valid agentrpc config/);
    expect(problems).toThrow(/agents: two agents share the id "a"/);
    expect(problems).toThrow(/auth\.apiKeys\[0\]\.key: must be a non-empty string/);
    expect(problems).toThrow(/auth\.apiKeys\[1\]\.key: must be a non-empty string/);
    expect(problems).toThrow(/auth\.apiKeys\[1\]\.userId: must be a non-empty string/);
    expect(problems).toThrow(/auth\.jwt: needs a secret or a jwksUrl/);
    expect(problems).toThrow(/limits\.maxConcurrentRunsPerUser: /);
    expect(problems).toThrow(/peers\.secret: at least 16 characters/);
    expect(problems).toThrow(/peers\.url: /);
    expect(problems).toThrow(/keepAliveTimeoutMs: /);
  });

  it('refuses a module without a default export', () => {
    expect(() => validateConfig(undefined, 'x.ts')).toThrow(/x\.ts: must export default/);
  });

  it('runs in startServer too, before anything listens', async () => {
    await expect(
      startServer({ agents: [agent('a')], auth: { apiKeys: [{ key: '', userId: 'u' }] } }),
    ).rejects.toThrow(/auth\.apiKeys\[0\]\.key/);
  });
});
