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
  /** Tokens and cost of all the session's runs so far. */
  usage?: SessionUsage;
  /** Epoch milliseconds. */
  createdAt: number;
  updatedAt: number;
}

export interface SessionUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  /** Sum of the runs' costUsd (runs without a known price add nothing). */
  costUsd: number;
  /**
   * How many of totalTokens were estimated because the provider sent no counts
   * (see RunMetrics.usageEstimated); absent when none were.
   */
  estimatedTokens?: number;
}

/** Adds a run's usage to a session's totals. */
export function addUsage(
  total: SessionUsage | undefined,
  more: Partial<SessionUsage>,
): SessionUsage {
  return {
    inputTokens: (total?.inputTokens ?? 0) + (more.inputTokens ?? 0),
    outputTokens: (total?.outputTokens ?? 0) + (more.outputTokens ?? 0),
    totalTokens: (total?.totalTokens ?? 0) + (more.totalTokens ?? 0),
    costUsd: (total?.costUsd ?? 0) + (more.costUsd ?? 0),
    ...(total?.estimatedTokens || more.estimatedTokens
      ? { estimatedTokens: (total?.estimatedTokens ?? 0) + (more.estimatedTokens ?? 0) }
      : {}),
  };
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
