// MemoryStore: the Store in process memory, for tests and throwaway servers.
// It copies on the way in and out so callers never share objects with it.
// Sessions, runs and their events are kept per user: two users may hold the same ids.
import { AgentRpcError } from '../errors.ts';
import type { RunEvent } from '../run/events.ts';
import type { RunRecord } from '../run/types.ts';
import { deepMerge } from '../session/deep-merge.ts';
import type { Memory, Session } from '../session/types.ts';
import { addUsage } from '../session/types.ts';
import { copyValue as copy } from './copy-value.ts';
import { clampLimit, decodeCursor, encodeCursor } from './cursor.ts';
import type {
  CachedResponse,
  CacheKey,
  EventBatch,
  EventQuery,
  Lease,
  MemoryPatch,
  MemoryQuery,
  Page,
  RunKey,
  RunPatch,
  RunQuery,
  SessionKey,
  SessionPatch,
  SessionQuery,
  Store,
} from './types.ts';

/** The map key of a user's session or run. */
const owned = (userId: string, id: string) => `${userId}\u0000${id}`;

export class MemoryStore implements Store {
  #sessions = new Map<string, Session>();
  #runs = new Map<string, RunRecord>();
  /** Each session's runs (the same records as #runs), oldest first: history reads a window, not the store. */
  #sessionRuns = new Map<string, RunRecord[]>();
  #events = new Map<string, RunEvent[]>();
  #memories = new Map<string, Memory>();
  #leases = new Map<string, { owner: string; expiresAt: number }>();
  #cache = new Map<string, { response: CachedResponse; expiresAt: number }>();

  #session(key: SessionKey): Session | undefined {
    return this.#sessions.get(owned(key.userId, key.sessionId));
  }

  #run(key: RunKey): RunRecord | undefined {
    return this.#runs.get(owned(key.userId, key.runId));
  }

  async createSession(session: Session): Promise<Session> {
    const key = owned(session.userId, session.sessionId);
    if (this.#sessions.has(key)) {
      throw new AgentRpcError('CONFLICT', `session ${session.sessionId} exists`);
    }
    this.#sessions.set(key, copy(session));
    return copy(session);
  }

  async getSession(key: SessionKey): Promise<Session | null> {
    const session = this.#session(key);
    return session ? copy(session) : null;
  }

  async listSessions(query: SessionQuery): Promise<Page<Session>> {
    const sortBy = query.sortBy ?? 'updatedAt';
    const sign = query.order === 'asc' ? 1 : -1;
    const limit = clampLimit(query.limit);
    const name = query.name?.toLowerCase();
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    const compare = (a: { value: number; id: string }, b: { value: number; id: string }) =>
      sign * (a.value - b.value || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const matching = [...this.#sessions.values()]
      .filter(
        (s) =>
          s.userId === query.userId &&
          (!query.agentId || s.agentId === query.agentId) &&
          (!name || s.name.toLowerCase().includes(name)),
      )
      .map((s) => ({ s, pos: { value: s[sortBy], id: s.sessionId } }))
      .filter((entry) => !after || compare(entry.pos, after) > 0)
      .sort((a, b) => compare(a.pos, b.pos));
    const page = matching.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map((entry) => copy(entry.s)),
      ...(matching.length > limit && last ? { nextCursor: encodeCursor(last.pos) } : {}),
    };
  }

  async updateSession(key: SessionKey, patch: SessionPatch): Promise<Session> {
    const session = this.#session(key);
    if (!session) throw new AgentRpcError('NOT_FOUND', `session ${key.sessionId} not found`);
    const { addRuns, addUsage: usage, ...fields } = copy(patch);
    Object.assign(session, fields, { updatedAt: Date.now() });
    if (addRuns) session.runCount += addRuns;
    if (usage) session.usage = addUsage(session.usage, usage);
    return copy(session);
  }

  async updateSessionState(key: SessionKey, patch: Record<string, unknown>): Promise<Session> {
    const session = this.#session(key);
    if (!session) throw new AgentRpcError('NOT_FOUND', `session ${key.sessionId} not found`);
    session.state = deepMerge(session.state, copy(patch));
    session.updatedAt = Date.now();
    return copy(session);
  }

  async deleteSession(key: SessionKey): Promise<boolean> {
    if (!this.#session(key)) return false;
    const sessionKey = owned(key.userId, key.sessionId);
    this.#sessions.delete(sessionKey);
    for (const run of this.#sessionRuns.get(sessionKey) ?? []) {
      this.#runs.delete(owned(run.userId, run.runId));
      this.#events.delete(owned(run.userId, run.runId));
    }
    this.#sessionRuns.delete(sessionKey);
    return true;
  }

  async appendRun(run: RunRecord): Promise<void> {
    const key = owned(run.userId, run.runId);
    if (this.#runs.has(key)) throw new AgentRpcError('CONFLICT', `run ${run.runId} exists`);
    const stored = copy(run);
    this.#runs.set(key, stored);
    const sessionKey = owned(run.userId, run.sessionId);
    const list = this.#sessionRuns.get(sessionKey) ?? [];
    // Runs arrive in start order, so this is almost always the end.
    let at = list.length;
    while (at > 0 && (list[at - 1] as RunRecord).createdAt > stored.createdAt) at--;
    list.splice(at, 0, stored);
    this.#sessionRuns.set(sessionKey, list);
  }

  async updateRun(key: RunKey, patch: RunPatch): Promise<RunRecord> {
    const run = this.#run(key);
    if (!run) throw new AgentRpcError('NOT_FOUND', `run ${key.runId} not found`);
    Object.assign(run, copy(patch), { updatedAt: Date.now() });
    return copy(run);
  }

  getRuns(keys: RunKey[]): Promise<(RunRecord | null)[]> {
    return Promise.all(keys.map((key) => this.getRun(key)));
  }

  async getStopRequests(keys: RunKey[]): Promise<boolean[]> {
    return keys.map((key) => {
      const run = this.#run(key);
      return !run || run.cancelRequestedAt !== undefined;
    });
  }

  async getRun(key: RunKey): Promise<RunRecord | null> {
    const run = this.#run(key);
    return run ? copy(run) : null;
  }

  async listRuns(query: RunQuery): Promise<RunRecord[]> {
    const list = this.#sessionRuns.get(owned(query.userId, query.sessionId)) ?? [];
    const limit = clampLimit(query.limit, 100, 10_000);
    const found: RunRecord[] = [];
    const ascending = query.order === 'asc';
    for (let i = 0; i < list.length && found.length < limit; i++) {
      const run = list[ascending ? i : list.length - 1 - i] as RunRecord;
      if (!query.status || run.status === query.status) found.push(copy(run));
    }
    return found;
  }

  async appendEvents(key: RunKey, events: RunEvent[]): Promise<void> {
    return this.appendEventBatches([{ key, events }]);
  }

  async appendEventBatches(batches: EventBatch[]): Promise<void> {
    for (const { key } of batches) {
      if (!this.#run(key)) throw new AgentRpcError('NOT_FOUND', `run ${key.runId} not found`);
    }
    for (const { key, events } of batches) this.#appendToLog(key, events);
  }

  #appendToLog(key: RunKey, events: RunEvent[]) {
    const log = this.#events.get(owned(key.userId, key.runId)) ?? [];
    this.#events.set(owned(key.userId, key.runId), log);
    let sorted = true;
    for (const event of events) {
      const last = log.at(-1)?.seq ?? 0;
      if (event.seq > last) {
        log.push(copy(event)); // the usual case: appended in order
      } else if (!log.some((e) => e.seq === event.seq)) {
        log.push(copy(event));
        sorted = false;
      }
    }
    if (!sorted) log.sort((a, b) => a.seq - b.seq);
  }

  async readEvents(query: EventQuery): Promise<RunEvent[]> {
    if (!this.#run(query)) return [];
    const after = query.afterSeq ?? 0;
    const log = this.#events.get(owned(query.userId, query.runId)) ?? [];
    return log
      .filter((e) => e.seq > after)
      .slice(0, clampLimit(query.limit, 1000, 10_000))
      .map(copy);
  }

  readEventBatches(queries: EventQuery[]): Promise<RunEvent[][]> {
    return Promise.all(queries.map((query) => this.readEvents(query)));
  }

  async createMemory(memory: Memory): Promise<Memory> {
    if (this.#memories.has(memory.memoryId)) {
      throw new AgentRpcError('CONFLICT', `memory ${memory.memoryId} exists`);
    }
    this.#memories.set(memory.memoryId, copy(memory));
    return copy(memory);
  }

  async listMemories(query: MemoryQuery): Promise<Memory[]> {
    return [...this.#memories.values()]
      .filter((m) => m.userId === query.userId && (!query.agentId || m.agentId === query.agentId))
      .sort((a, b) => b.updatedAt - a.updatedAt)
      .slice(0, clampLimit(query.limit, 100, 1000))
      .map(copy);
  }

  async updateMemory(
    key: { userId: string; memoryId: string },
    patch: MemoryPatch,
  ): Promise<Memory> {
    const memory = this.#memories.get(key.memoryId);
    if (!memory || memory.userId !== key.userId) {
      throw new AgentRpcError('NOT_FOUND', `memory ${key.memoryId} not found`);
    }
    Object.assign(memory, copy(patch), { updatedAt: Date.now() });
    return copy(memory);
  }

  async deleteMemory(key: { userId: string; memoryId: string }): Promise<boolean> {
    const memory = this.#memories.get(key.memoryId);
    if (!memory || memory.userId !== key.userId) return false;
    return this.#memories.delete(key.memoryId);
  }

  async acquireLease(lease: Lease): Promise<boolean> {
    const now = Date.now();
    const held = this.#leases.get(lease.key);
    if (held && held.owner !== lease.owner && held.expiresAt > now) return false;
    this.#leases.set(lease.key, { owner: lease.owner, expiresAt: now + lease.ttlMs });
    return true;
  }

  async renewLease(lease: Lease): Promise<boolean> {
    const held = this.#leases.get(lease.key);
    if (!held || held.owner !== lease.owner) return false;
    held.expiresAt = Date.now() + lease.ttlMs;
    return true;
  }

  async releaseLease(lease: Omit<Lease, 'ttlMs'>): Promise<void> {
    if (this.#leases.get(lease.key)?.owner === lease.owner) this.#leases.delete(lease.key);
  }

  async getCachedResponse(key: CacheKey): Promise<CachedResponse | null> {
    const entry = this.#cache.get(`${key.userId}\u0000${key.key}`);
    return entry && entry.expiresAt > Date.now() ? copy(entry.response) : null;
  }

  async putCachedResponse(key: CacheKey, response: CachedResponse, ttlMs: number): Promise<void> {
    this.#cache.set(`${key.userId}\u0000${key.key}`, {
      response: copy(response),
      expiresAt: Date.now() + ttlMs,
    });
  }

  async listUnfinishedRuns(limit?: number): Promise<RunRecord[]> {
    return [...this.#runs.values()]
      .filter((r) => r.status === 'running' || r.status === 'pending')
      .sort((a, b) => a.createdAt - b.createdAt)
      .slice(0, clampLimit(limit, 100, 10_000))
      .map(copy);
  }

  async deleteIdleSessions(before: number): Promise<number> {
    let deleted = 0;
    for (const session of [...this.#sessions.values()]) {
      if (session.updatedAt < before && (await this.deleteSession(session))) deleted++;
    }
    return deleted;
  }

  describe(): string {
    return 'in memory (lost on restart)';
  }

  async close(): Promise<void> {}
}
