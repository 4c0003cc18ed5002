// One tool call: its name, arguments, and result or error, with how long it took.
import type { ToolCard as Card } from './run-state.ts';

const json = (value: unknown) =>
  typeof value === 'string' ? value : JSON.stringify(value, null, 2);

export function ToolCard({ card }: { card: Card }) {
  return (
    <section className={`tool-card ${card.status}`} aria-label={`Tool call ${card.name}`}>
      <header>
        <strong>{card.name}</strong>
        <span className="badge">{card.status}</span>
        {card.durationMs !== undefined && <span className="muted">{card.durationMs} ms</span>}
      </header>
      <div className="tool-io">
        <span className="muted">arguments</span>
        <pre>{json(card.args)}</pre>
        {card.result !== undefined && (
          <>
            <span className="muted">result</span>
            <pre>{json(card.result)}</pre>
          </>
        )}
        {card.error && (
          <>
            <span className="muted">error</span>
            <pre className="error">{card.error}</pre>
          </>
        )}
      </div>
    </section>
  );
}
