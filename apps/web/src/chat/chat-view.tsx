// The chat: pick an agent, see its instructions and tools, talk to it in a
// session. Past exchanges come from the store; new ones stream in place.
import type { RunRequest } from '@agentrpc/sdk';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { navigate } from '../app/router.ts';
import { codeOf, useClient } from '../connection/client-context.tsx';
import { ErrorNote } from '../connection/error-note.tsx';
import { SessionList } from '../sessions/session-list.tsx';
import { AgentCard } from './agent-card.tsx';
import { type Attachment, Composer } from './composer.tsx';
import { type Asked, askedIn, LiveRun } from './run-block.tsx';

interface StartedRun {
  runId: string;
  request: RunRequest;
  asked: Asked;
}

const openStatuses = new Set(['pending', 'running', 'paused']);

export function ChatView(props: { agentId?: string | undefined; sessionId?: string | undefined }) {
  const { sessionId } = props;
  const client = useClient();
  const queries = useQueryClient();
  const agents = useQuery({ queryKey: ['agents'], queryFn: () => client.agents.list() });
  const agent = agents.data?.find((a) => a.id === props.agentId) ?? agents.data?.[0];
  /** Runs started from this page, by session: they stream here until the store has them. */
  const [started, setStarted] = useState<Record<string, StartedRun[]>>({});
  const mine = sessionId ? (started[sessionId] ?? []) : [];
  const runs = useQuery({
    queryKey: ['runs', sessionId],
    queryFn: () => client.runs.list({ sessionId: sessionId ?? '' }),
    enabled: sessionId !== undefined,
  });
  const stored = runs.isError ? [] : (runs.data ?? []);
  const missing = runs.isError && codeOf(runs.error) === 'NOT_FOUND' && mine.length === 0;
  const settled = () => {
    void queries.invalidateQueries({ queryKey: ['runs', sessionId] });
    void queries.invalidateQueries({ queryKey: ['sessions'] });
  };
  const busy =
    stored.some((run) => openStatuses.has(run.status)) ||
    mine.some((run) => !stored.some((s) => s.runId === run.runId && !openStatuses.has(s.status)));

  const send = (message: { text: string; images: Attachment[] }) => {
    if (!agent) return;
    const target = sessionId ?? crypto.randomUUID();
    const images = message.images.map(({ base64, mimeType }) => ({ base64, mimeType }));
    const run: StartedRun = {
      runId: crypto.randomUUID(),
      request: {
        agentId: agent.id,
        input: message.text,
        sessionId: target,
        ...(images.length ? { images } : {}),
      },
      asked: { text: message.text, images: images.length },
    };
    setStarted((all) => ({ ...all, [target]: [...(all[target] ?? []), run] }));
    if (!sessionId)
      navigate({ view: 'chat', agentId: agent.id, sessionId: target }, { replace: true });
  };

  const order = [
    ...stored.map((run) => run.runId),
    ...mine.map((run) => run.runId).filter((id) => !stored.some((run) => run.runId === id)),
  ];
  return (
    <div className="layout">
      <SessionList current={sessionId} newChatAgent={agent?.id} />
      <main className="chat">
        {agents.isError && <ErrorNote error={agents.error} />}
        {agents.data && (
          <AgentCard
            agents={agents.data}
            agent={agent}
            onPick={(id) => navigate({ view: 'chat', agentId: id })}
            locked={sessionId !== undefined}
          />
        )}
        {missing ? (
          <p role="alert" className="error">
            Session not found. It may have been deleted, or it belongs to someone else.
          </p>
        ) : (
          <section className="transcript" aria-label="Conversation">
            {runs.isError && !missing && codeOf(runs.error) !== 'NOT_FOUND' && (
              <ErrorNote error={runs.error} />
            )}
            {order.map((runId) => {
              const local = mine.find((run) => run.runId === runId);
              const saved = stored.find((run) => run.runId === runId);
              const asked = local?.asked ?? (saved ? askedIn(saved) : { text: '', images: 0 });
              return (
                <LiveRun
                  key={runId}
                  runId={runId}
                  start={local?.request}
                  stored={saved}
                  asked={asked}
                  onSettled={settled}
                />
              );
            })}
            {order.length === 0 && agent && <p className="muted">Say something to {agent.name}.</p>}
          </section>
        )}
        {!missing && <Composer disabled={busy || !agent} onSend={send} />}
      </main>
    </div>
  );
}
