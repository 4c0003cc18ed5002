// The agents a server offers, by id.
import { type Agent, AgentRpcError, type Store } from '@agentrpc/core';

export interface AgentInfo {
  id: string;
  name: string;
  description?: string;
  /** The start of the agent's instructions, when they are plain text (at most 280 characters). */
  instructions?: string;
  model: string;
  tools: { name: string; description: string; requiresConfirmation: boolean }[];
  hasOutputSchema: boolean;
}

function summaryOf(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 280 ? `${flat.slice(0, 279)}…` : flat;
}

export class AgentRegistry {
  // biome-ignore lint/suspicious/noExplicitAny: agents of any output type
  readonly #agents = new Map<string, Agent<any>>();

  /** `store` is what agents will use; `configured` is the store as the config gave it. */
  // biome-ignore lint/suspicious/noExplicitAny: agents of any output type
  constructor(agents: Agent<any>[], store: Store, configured: Store = store) {
    for (const agent of agents) {
      if (this.#agents.has(agent.id)) throw new Error(`two agents share the id "${agent.id}"`);
      // Every agent of the server writes to the server's store.
      const own = agent.options.store;
      if (own && own !== store && own !== configured) {
        throw new Error(
          `agent "${agent.id}" has its own store; give the store to the server config instead`,
        );
      }
      (agent.options as { store?: Store }).store = store;
      this.#agents.set(agent.id, agent);
    }
  }

  // biome-ignore lint/suspicious/noExplicitAny: agents of any output type
  get(id: string): Agent<any> {
    const agent = this.#agents.get(id);
    if (!agent)
      throw new AgentRpcError(
        'NOT_FOUND',
        `no agent "${id}"; agents.list shows the ones there are`,
      );
    return agent;
  }

  list(): AgentInfo[] {
    return [...this.#agents.values()].map((agent) => ({
      id: agent.id,
      name: agent.name,
      ...(agent.options.description ? { description: agent.options.description } : {}),
      ...(typeof agent.options.instructions === 'string'
        ? { instructions: summaryOf(agent.options.instructions) }
        : {}),
      model: agent.options.model.id,
      tools: (agent.options.tools ?? []).map((tool) => ({
        name: tool.name,
        description: tool.description,
        requiresConfirmation: tool.requiresConfirmation === true,
      })),
      hasOutputSchema: agent.options.outputSchema !== undefined,
    }));
  }
}
