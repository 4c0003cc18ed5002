// A paused run's calls waiting for a person: approve or reject each, or give
// the result yourself; the run then continues in place.
import { useState } from 'react';
import type { ToolCallRecord } from './run-state.ts';

export interface Decisions {
  approvals?: Record<string, boolean>;
  toolResults?: Record<string, unknown>;
}

/** A typed result: JSON when it parses, else the text as it is. */
function resultOf(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function PendingCalls(props: {
  calls: ToolCallRecord[];
  onDecide: (decisions: Decisions) => Promise<void>;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [results, setResults] = useState<Record<string, string>>({});
  const decide = async (decisions: Decisions) => {
    setBusy(true);
    setError(undefined);
    try {
      await props.onDecide(decisions);
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
      setBusy(false);
    }
  };
  return (
    <section className="pending" aria-label="Waiting for your decision">
      <h3>Waiting for your decision</h3>
      {props.calls.map((call) => {
        const fieldId = `result-${call.id}`;
        return (
          <div key={call.id} className="pending-call">
            <p>
              <strong>{call.name}</strong> with <code>{JSON.stringify(call.args)}</code>
            </p>
            <div className="row">
              <button
                type="button"
                disabled={busy}
                onClick={() => void decide({ approvals: { [call.id]: true } })}
              >
                Approve
              </button>
              <button
                type="button"
                className="secondary"
                disabled={busy}
                onClick={() => void decide({ approvals: { [call.id]: false } })}
              >
                Reject
              </button>
            </div>
            <div className="row">
              <label htmlFor={fieldId}>Or give the result</label>
              <input
                id={fieldId}
                value={results[call.id] ?? ''}
                onChange={(e) => setResults({ ...results, [call.id]: e.target.value })}
              />
              <button
                type="button"
                className="secondary"
                disabled={busy || !results[call.id]}
                onClick={() =>
                  void decide({ toolResults: { [call.id]: resultOf(results[call.id] ?? '') } })
                }
              >
                Send result
              </button>
            </div>
          </div>
        );
      })}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </section>
  );
}
