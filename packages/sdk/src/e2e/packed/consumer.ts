// A service that installed only @agentrpc/sdk, as a user's does: it is
// typechecked (with examples/consumer's type checks beside it) and run outside
// the workspace by packed-install.test.ts, and prints what it saw as one JSON line. Usage: node consumer.js <url> <apiKey>
import { AgentRpcClientError, createClient, type RunEvent, type RunOutput } from '@agentrpc/sdk';

const [url = 'http://127.0.0.1:3000', apiKey = ''] = process.argv.slice(2);
const client = createClient({ url, apiKey });

/** The code of the error a call fails with, or 'no error'. */
async function codeOf(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
    return 'no error';
  } catch (error) {
    return error instanceof AgentRpcClientError ? error.code : `not a client error: ${error}`;
  }
}

const types: RunEvent['type'][] = [];
let streamed = '';
for await (const event of client.runs.stream({ agentId: 'assistant', input: 'hello' })) {
  types.push(event.type);
  if (event.type === 'run.content') streamed += event.delta;
}
const output: RunOutput = await client.run({ agentId: 'assistant', input: 'and again' });
const sessions = await client.sessions.list({ limit: 10 });
const hasGlobalWebSocket = typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'function';

console.log(
  JSON.stringify({
    node: process.versions.node,
    types,
    streamed,
    run: { status: output.status, content: output.content, tokens: output.metrics.totalTokens },
    sessionNames: sessions.items.map((session) => session.name),
    missingRun: await codeOf(() => client.runs.get({ runId: 'no-such-run' })),
    badKey: await codeOf(() => createClient({ url, apiKey: 'wrong' }).sessions.list({})),
    webSocket: hasGlobalWebSocket
      ? 'global'
      : await codeOf(async () => createClient({ url, transport: 'ws' })),
  }),
);
client.close();

/** Never called: the expected error fails the typecheck if error codes go loose. */
export function codeCheck() {
  // @ts-expect-error codes are a closed union
  const code: AgentRpcClientError['code'] = 'NO_SUCH_CODE';
  return code;
}
