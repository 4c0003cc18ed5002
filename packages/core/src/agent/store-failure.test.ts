// A run whose end cannot be saved ends as an error, in its event and in its
// record alike, on the real SQLite store.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { OpenAIChat } from '../model/openai-chat.ts';
import { SqliteStore } from '../store/sqlite-store.ts';
import { useFakeOpenAI } from '../test-support/fake-openai.ts';
import { defineTool } from '../tool/define-tool.ts';
import { Agent } from './agent.ts';

const fake = useFakeOpenAI();

describe('a run whose state cannot be saved', () => {
  it('ends with status error in both its terminal event and its record', async () => {
    const store = new SqliteStore({
      path: join(mkdtempSync(join(tmpdir(), 'arpc-')), 'db.sqlite'),
    });
    // A BigInt is not JSON: SQLite cannot take this state.
    const remember = defineTool({
      name: 'remember',
      description: 'Keeps a number in the session',
      parameters: z.object({}),
      execute: (_args, ctx) => {
        ctx.state.big = 10n;
        return 'kept';
      },
    });
    const model = new OpenAIChat({
      id: 'gpt-4o-mini',
      apiKey: 'k',
      baseURL: fake.baseURL,
      maxRetries: 0,
    });
    const agent = new Agent({ id: 'a', model, store, tools: [remember] });
    fake.enqueue({ toolCalls: [{ name: 'remember', arguments: {} }] }, { text: 'done' });
    const events = [];
    for await (const event of agent.stream('keep it', { userId: 'u' })) events.push(event);
    const last = events.at(-1);
    expect(last).toMatchObject({
      type: 'run.error',
      code: 'STORE_ERROR',
      output: { status: 'error' },
    });
    const record = await store.getRun({ userId: 'u', runId: last?.runId ?? '' });
    expect(record?.status).toBe('error');
    expect(record?.error?.code).toBe('STORE_ERROR');
    await store.close();
  });
});
