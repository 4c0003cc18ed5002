// The Store interface every adapter implements (memory, SQLite, MongoDB).
// Every read and write that touches a user's data takes that user's id.
// Missing data answers null/false; a failing database throws STORE_ERROR.
// A write takes what it needs from its arguments when it is called (callers
// may change their objects after) and resolves once other readers can see it.
import type { RunEvent } from '../run/events.ts';
import type { RunRecord, RunStatus } from '../run/types.ts';
import type { Memory, Session, SessionUsage } from '../session/types.ts';

export interface SessionKey {
  userId: string;
  sessionId: string;
}

export interface RunKey {
  userId: string;
  runId: string;
}

/** One run's events to append. */
export interface EventBatch {
  key: RunKey;
  events: RunEvent[];
}

export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` for the next page; undefined on the last page. */
  nextCursor?: string;
}

export interface SessionQuery {
  userId: string;
  agentId?: string;
  /** Case-insensitive substring of the name. */
  name?: string;
  sortBy?: 'updatedAt' | 'createdAt';
  order?: 'asc' | 'desc';
  limit?: number;
  cursor?: string;
}

export interface SessionPatch {
  name?: string;
  summary?: string;
  metadata?: Record<string, unknown>;
  /** Replaces the whole state (use updateSessionState to merge). */
  state?: Record<string, unknown>;
  /** Added to runCount. */
  addRuns?: number;
  /** Added to the session's usage totals. */
  addUsage?: Partial<SessionUsage>;
}

export interface RunQuery {
  userId: string;
  sessionId: string;
  status?: RunStatus;
  /** Newest first when 'desc' (default). */
  order?: 'asc' | 'desc';
  limit?: number;
}

export type RunPatch = Partial<
  Omit<RunRecord, 'runId' | 'userId' | 'sessionId' | 'agentId' | 'createdAt'>
>;

export interface EventQuery {
  userId: string;
  runId: string;
  /** Only events with seq greater than this. */
  afterSeq?: number;
  limit?: number;
}

export interface MemoryQuery {
  userId: string;
  agentId?: string;
  limit?: number;
}

export interface MemoryPatch {
  memory?: string;
  topics?: string[];
}

/** Cache entries belong to one user, like everything else. */
export interface CacheKey {
  userId: string;
  /** A digest of everything the model was sent. */
  key: string;
}

/** One model call's answer, as the run loop replays it. */
export interface CachedResponse {
  content: string;
  reasoning?: string;
  toolCalls: { id: string; name: string; arguments: string }[];
}

export interface Lease {
  /** What is locked, e.g. `session:<id>`. */
  key: string;
  /** Who holds it, e.g. a run id. */
  owner: string;
  ttlMs: number;
}

/** How one run's record is read. */
export interface GetRunOptions {
  /**
   * A subscriber waits on this read before it can follow the run (a reader of
   * a run that is not live in its process). A store with a separate path for
   * live readers serves it there, so that it does not queue behind the
   * bookkeeping of runs starting and ending (MongoStore: its event pool).
   */
  following?: boolean;
}

export interface Store {
  createSession(session: Session): Promise<Session>;
  getSession(key: SessionKey): Promise<Session | null>;
  listSessions(query: SessionQuery): Promise<Page<Session>>;
  /** Throws NOT_FOUND when the user has no such session. */
  updateSession(key: SessionKey, patch: SessionPatch): Promise<Session>;
  updateSessionState(key: SessionKey, patch: Record<string, unknown>): Promise<Session>;
  /** Deletes the session with its runs and their events. */
  deleteSession(key: SessionKey): Promise<boolean>;

  /** Throws CONFLICT when the run id exists. */
  appendRun(run: RunRecord): Promise<void>;
  updateRun(key: RunKey, patch: RunPatch): Promise<RunRecord>;
  getRun(key: RunKey, options?: GetRunOptions): Promise<RunRecord | null>;
  /**
   * Several runs' records in one call, in the order asked, null for one the
   * user has not: a server watching its running runs for cancel requests
   * made on other instances reads them all at once. Optional: without it,
   * callers read run by run.
   */
  getRuns?(keys: RunKey[]): Promise<(RunRecord | null)[]>;
  /**
   * For each run, in the order asked, whether a process running it must stop
   * it: its record asks for a cancel (`cancelRequestedAt`) or is gone (as when
   * its session was deleted), or the user has no such run. What a server asks
   * every second for all the runs it has going, to see cancels made on other
   * instances: stores answer it without reading whole records. Optional:
   * without it, callers read the records (getRuns).
   */
  getStopRequests?(keys: RunKey[]): Promise<boolean[]>;
  listRuns(query: RunQuery): Promise<RunRecord[]>;

  /** Idempotent: an event whose (runId, seq) is stored already is skipped. */
  appendEvents(key: RunKey, events: RunEvent[]): Promise<void>;
  /**
   * Several runs' events in one call (one transaction or bulk write), as a
   * server streaming many runs writes them. Idempotent like appendEvents.
   * When any run is not the user's, throws NOT_FOUND and writes nothing.
   * Optional: without it, callers append run by run.
   */
  appendEventBatches?(batches: EventBatch[]): Promise<void>;
  readEvents(query: EventQuery): Promise<RunEvent[]>;
  /**
   * Several runs' events in one call, each list as readEvents returns it, in
   * the order asked: a server following many runs that live on other
   * instances polls them all at once. Optional: without it, callers read run
   * by run.
   */
  readEventBatches?(queries: EventQuery[]): Promise<RunEvent[][]>;

  createMemory(memory: Memory): Promise<Memory>;
  listMemories(query: MemoryQuery): Promise<Memory[]>;
  updateMemory(key: { userId: string; memoryId: string }, patch: MemoryPatch): Promise<Memory>;
  deleteMemory(key: { userId: string; memoryId: string }): Promise<boolean>;

  /** True when the lease was free, expired or already this owner's. */
  acquireLease(lease: Lease): Promise<boolean>;
  /** False when the lease was lost to another owner. */
  renewLease(lease: Lease): Promise<boolean>;
  releaseLease(lease: Omit<Lease, 'ttlMs'>): Promise<void>;

  /** A cached model answer, or null when missing or expired. */
  getCachedResponse(key: CacheKey): Promise<CachedResponse | null>;
  /** Stores a model answer for `ttlMs`. */
  putCachedResponse(key: CacheKey, response: CachedResponse, ttlMs: number): Promise<void>;

  /**
   * Maintenance, across users: runs still marked pending or running, oldest
   * first, for recovery after a crash. Not for answering a user.
   */
  listUnfinishedRuns(limit?: number): Promise<RunRecord[]>;

  /** Deletes sessions (with runs and events) not updated since `before`; returns how many. */
  deleteIdleSessions(before: number): Promise<number>;
  close(): Promise<void>;
  /** Where the data lives, for a start banner; never with credentials. */
  describe?(): string;
}
