// A run that makes its own session (no session id given) sends the session,
// its lease and its record to the store at once; when one of them fails,
// nothing of the attempt is left holding anything.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AgentRpcError } from '../errors.ts';
import { OpenAIChat } from '../model/openai-chat.ts';
import { sessionLeaseKey } from '../session/session-lease.ts';
import type { Session } from '../session/types.ts';
import { MemoryStore } from '../store/memory-store.ts';
import type { Lease } from '../store/types.ts';
import { useFakeOpenAI } from '../test-support/fake-openai.ts';
import { Agent } from './agent.ts';

const fake = useFakeOpenAI();

const model = () =>
  new OpenAIChat({ id: 'gpt-4o-mini', apiKey: 'k', baseURL: fake.baseURL, maxRetries: 0 });

/** A store whose session writes wait for `open()`, recording what was asked of it meanwhile. */
class GatedStore extends MemoryStore {
  readonly asked: string[] = [];
  #open: () => void = () => {};
  readonly #gate = new Promise<void>((resolve) => {
    this.#open = resolve;
  });

  open() {
    this.#open();
  }

  override async createSession(input: Session): Promise<Session> {
    this.asked.push('createSession');
    await this.#gate;
    return super.createSession(input);
  }

  override acquireLease(input: Lease): Promise<boolean> {
    this.asked.push('acquireLease');
    return super.acquireLease(input);
  }

  override appendRun(...args: Parameters<MemoryStore['appendRun']>): Promise<void> {
    this.asked.push('appendRun');
    return super.appendRun(...args);
  }
}

describe('a run in a session made for it', () => {
  it('asks for the session, its lease and its record without waiting for one another', async () => {
    const store = new GatedStore();
    const agent = new Agent({ id: 'chat', model: model(), store });
    fake.enqueue({ text: 'hi' });
    const run = agent.run('hello', { userId: 'u' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(store.asked).toEqual(['createSession', 'acquireLease', 'appendRun']);
    expect(fake.completionRequests()).toHaveLength(0);
    store.open();
    const out = await run;
    expect(out.content).toBe('hi');
    expect(await store.getSession({ userId: 'u', sessionId: out.sessionId })).toMatchObject({
      runCount: 1,
    });
  });

  it('refuses options that clash with the agent before making a session', async () => {
    const store = new MemoryStore();
    const agent = new Agent({ id: 'json', model: model(), store, outputSchema: z.object({}) });
    const outputJsonSchema = { name: 'other', schema: { type: 'object' } };
    await expect(agent.run('hello', { userId: 'u', outputJsonSchema })).rejects.toMatchObject({
      code: 'BAD_INPUT',
    });
    expect((await store.listSessions({ userId: 'u' })).items).toEqual([]);
  });

  it('fails with the store error when the session cannot be saved, ending the record and freeing the lease', async () => {
    class SessionlessStore extends MemoryStore {
      sessionId = '';
      override createSession(input: Session): Promise<Session> {
        this.sessionId = input.sessionId;
        return Promise.reject(new AgentRpcError('STORE_ERROR', 'the disk is full'));
      }
    }
    const store = new SessionlessStore();
    const agent = new Agent({ id: 'chat', model: model(), store });
    await expect(agent.run('hello', { userId: 'u', runId: 'r' })).rejects.toMatchObject({
      code: 'STORE_ERROR',
      message: 'the disk is full',
    });
    expect(await store.getRun({ userId: 'u', runId: 'r' })).toMatchObject({
      status: 'error',
      error: { code: 'STORE_ERROR' },
    });
    const key = sessionLeaseKey('u', store.sessionId);
    expect(await store.acquireLease({ key, owner: 'another', ttlMs: 1000 })).toBe(true);
    expect(fake.completionRequests()).toHaveLength(0);
  });
});
