// Runs in a table: status, when, tokens, each linking to the inspector.
import type { RunOutput } from '@agentrpc/sdk';
import { hrefOf } from '../app/router.ts';

export function RunTable(props: { runs: RunOutput[]; userId?: string | undefined }) {
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col">Status</th>
            <th scope="col">Started</th>
            <th scope="col">Tokens</th>
          </tr>
        </thead>
        <tbody>
          {props.runs.map((run) => (
            <tr key={run.runId}>
              <td>
                <a
                  href={hrefOf({
                    view: 'run',
                    runId: run.runId,
                    ...(props.userId ? { userId: props.userId } : {}),
                  })}
                >
                  {run.runId.slice(0, 8)}
                </a>
              </td>
              <td>{run.status}</td>
              <td>{new Date(run.createdAt).toLocaleString()}</td>
              <td>{run.metrics.totalTokens}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
