// A consumer service: asks an agentrpc agent and uses the typed results.
import {
  type AgentRpcClient,
  AgentRpcClientError,
  createClient,
  type RunOutput,
} from '@agentrpc/sdk';

export interface WeatherService {
  ask(
    question: string,
    sessionId?: string,
  ): Promise<{ answer: string; sessionId: string; tokens: number }>;
  streamAnswer(question: string, onText: (delta: string) => void): Promise<RunOutput>;
  history(sessionId: string): Promise<string[]>;
  close(): void;
}

export function weatherService(options: {
  url: string;
  apiKey: string;
  transport?: 'sse' | 'ws';
}): WeatherService {
  const client: AgentRpcClient = createClient(options);
  return {
    async ask(question, sessionId) {
      const out = await client.run({
        agentId: 'weather',
        input: question,
        ...(sessionId ? { sessionId } : {}),
      });
      return { answer: out.content, sessionId: out.sessionId, tokens: out.metrics.totalTokens };
    },
    async streamAnswer(question, onText) {
      for await (const event of client.runs.stream({ agentId: 'weather', input: question })) {
        if (event.type === 'run.content') onText(event.delta);
        if (event.type === 'run.completed') return event.output;
        if (event.type === 'run.error') throw new AgentRpcClientError(event.code, event.message);
      }
      throw new Error('stream ended early');
    },
    async history(sessionId) {
      const messages = await client.sessions.messages({ sessionId });
      return messages.map((m) => `${m.role}: ${typeof m.content === 'string' ? m.content : ''}`);
    },
    close: () => client.close(),
  };
}
