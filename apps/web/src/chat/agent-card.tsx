// The agent being talked to: a picker, its instructions in short, its tools.
import type { AgentRpcClient } from '@agentrpc/sdk';

type AgentInfo = Awaited<ReturnType<AgentRpcClient['agents']['list']>>[number];

export function AgentCard(props: {
  agents: AgentInfo[];
  agent: AgentInfo | undefined;
  onPick: (agentId: string) => void;
  /** A session belongs to one agent: the picker starts a new chat. */
  locked: boolean;
}) {
  const { agent } = props;
  return (
    <section className="agent-card" aria-label="Agent">
      <div className="row">
        <label htmlFor="agent-pick">Agent</label>
        <select
          id="agent-pick"
          value={agent?.id ?? ''}
          onChange={(e) => props.onPick(e.target.value)}
        >
          {props.agents.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name} ({a.id})
            </option>
          ))}
        </select>
        {props.locked && <span className="muted">choosing another starts a new chat</span>}
      </div>
      {agent && (
        <>
          {(agent.description ?? agent.instructions) && (
            <p className="muted">{agent.description ?? agent.instructions}</p>
          )}
          {agent.tools.length > 0 && (
            <ul className="tools" aria-label="Tools">
              {agent.tools.map((tool) => (
                <li key={tool.name} title={tool.description}>
                  <code>{tool.name}</code>
                  {tool.requiresConfirmation && <span className="badge">asks first</span>}
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}
