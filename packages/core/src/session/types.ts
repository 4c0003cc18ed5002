// A session: one user's conversation with one agent, with state and a summary.

export interface Session {
  sessionId: string;
  userId: string;
  agentId: string;
  teamId?: string;
  workflowId?: string;
  name: string;
  /** Deep-merged by updateSessionState; tools see it as ctx.state. */
  state: Record<string, unknown>;
  summary?: string;
  metadata: Record<string, unknown>;
  runCount: number;
  /** Epoch milliseconds. */
  createdAt: number;
  updatedAt: number;
}

export interface Memory {
  memoryId: string;
  userId: string;
  memory: string;
  topics: string[];
  /** Agent that wrote it, when written during a run. */
  agentId?: string;
  createdAt: number;
  updatedAt: number;
}
