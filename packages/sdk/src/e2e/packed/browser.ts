// The SDK as a browser app sees it: typechecked by packed-install.test.ts with
// the DOM library and no Node types, under `moduleResolution: bundler`.
import { type AgentRpcClient, createClient, type RunEvent } from '@agentrpc/sdk';

export function chat(
  url: string,
  token: string,
  onDelta: (text: string) => void,
): Promise<RunEvent | undefined> {
  const client: AgentRpcClient = createClient({ url, getToken: () => token, transport: 'ws' });
  const controller = new AbortController();
  return (async () => {
    let last: RunEvent | undefined;
    const stream = client.runs.stream(
      { agentId: 'assistant', input: 'hi' },
      { signal: controller.signal },
    );
    for await (const event of stream) {
      if (event.type === 'run.content') onDelta(event.delta);
      last = event;
    }
    // @ts-expect-error sessionId is a string
    await client.sessions.get({ sessionId: 42 });
    return last;
  })();
}
