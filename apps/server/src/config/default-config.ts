// The configuration used when there is no config file: one `assistant` agent
// on OPENAI_API_KEY / OPENAI_BASE_URL / AGENTRPC_MODEL, or the offline demo model.
import { Agent, DemoModel, type Model, OpenAIChat } from '@agentrpc/core';
import type { ServerConfig } from './define-config.ts';

export interface DefaultConfig {
  config: ServerConfig;
  /** True when no API key was found and the demo model answers. */
  demo: boolean;
}

export function defaultConfig(env: NodeJS.ProcessEnv = process.env): DefaultConfig {
  const demo = !env.OPENAI_API_KEY;
  const model: Model = demo
    ? new DemoModel()
    : new OpenAIChat({
        id: env.AGENTRPC_MODEL ?? 'gpt-4o-mini',
        apiKey: env.OPENAI_API_KEY,
        ...(env.OPENAI_BASE_URL ? { baseURL: env.OPENAI_BASE_URL } : {}),
      });
  const assistant = new Agent({
    id: 'assistant',
    name: 'Assistant',
    model,
    instructions: 'You are a helpful assistant. Answer concisely.',
  });
  return { config: { agents: [assistant] }, demo };
}
