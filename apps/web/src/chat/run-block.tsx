// One exchange of a conversation: what the user asked, then the run's answer as
// it streams (reasoning, tool cards, Markdown, structured output, errors), or
// as it was stored.
import type { RunOutput } from '@agentrpc/sdk';
import { hrefOf } from '../app/router.ts';
import { Markdown } from './markdown.tsx';
import { PendingCalls } from './pending-calls.tsx';
import type { RunState } from './run-state.ts';
import { ToolCard } from './tool-card.tsx';
import { type RunOptions, useRun } from './use-run.ts';

export interface Asked {
  text: string;
  images: number;
}

/** What the user asked in a stored run: its first user message. */
export function askedIn(run: RunOutput): Asked {
  const user = run.messages.find((m) => m.role === 'user');
  const content = user?.content;
  if (typeof content === 'string') return { text: content, images: 0 };
  const parts = content ?? [];
  return {
    text: parts.map((p) => (p.type === 'text' ? p.text : '')).join(''),
    images: parts.filter((p) => p.type === 'image').length,
  };
}

export function LiveRun(props: RunOptions & { asked: Asked }) {
  const run = useRun(props);
  return (
    <RunBody
      asked={props.asked}
      state={run.state}
      failure={run.failure}
      onStop={run.stop}
      onDecide={run.decide}
    />
  );
}

/** A run as stored, read-only (another user's, for an admin). */
export function StoredRun(props: { run: RunOutput; state: RunState; userId?: string }) {
  return <RunBody asked={askedIn(props.run)} state={props.state} userId={props.userId} />;
}

const running = new Set(['pending', 'running']);

function RunBody(props: {
  asked: Asked;
  state: RunState;
  failure?: string | undefined;
  userId?: string | undefined;
  onStop?: () => Promise<void>;
  onDecide?: Parameters<typeof PendingCalls>[0]['onDecide'];
}) {
  const { asked, state } = props;
  const live = running.has(state.status);
  return (
    <article
      className="exchange"
      aria-label="Exchange"
      data-run-id={state.runId}
      data-status={state.status}
    >
      <div className="bubble user">
        <p>{asked.text}</p>
        {asked.images > 0 && <p className="muted">{asked.images} image(s) attached</p>}
      </div>
      <div className="bubble assistant" aria-live={live ? 'polite' : 'off'}>
        {state.reasoning && (
          <details className="reasoning">
            <summary>Reasoning</summary>
            <p>{state.reasoning}</p>
          </details>
        )}
        {state.tools.map((card) => (
          <ToolCard key={card.id} card={card} />
        ))}
        {state.content && <Markdown text={state.content} />}
        {state.parsed !== undefined && (
          <figure className="parsed">
            <figcaption className="muted">Structured output</figcaption>
            <pre>{JSON.stringify(state.parsed, null, 2)}</pre>
          </figure>
        )}
        {state.error && (
          <p role="alert" className="error">
            <strong>{state.error.code}</strong> {state.error.message}
          </p>
        )}
        {props.failure && (
          <p role="alert" className="error">
            The stream failed: {props.failure}
          </p>
        )}
        {state.status === 'paused' && props.onDecide && state.pending.length > 0 && (
          <PendingCalls calls={state.pending} onDecide={props.onDecide} />
        )}
        <footer className="run-footer">
          <span className="badge" data-testid="run-status">
            {state.status}
          </span>
          {live && props.onStop && (
            <button type="button" className="danger" onClick={() => void props.onStop?.()}>
              Stop
            </button>
          )}
          <a
            href={hrefOf({
              view: 'run',
              runId: state.runId,
              ...(props.userId ? { userId: props.userId } : {}),
            })}
          >
            Inspect run
          </a>
        </footer>
      </div>
    </article>
  );
}
