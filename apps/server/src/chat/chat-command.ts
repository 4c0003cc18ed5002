// `agentrpc chat`: a terminal client on @agentrpc/sdk. At a terminal it is
// interactive (see terminal-chat.ts); with piped input it runs one turn per
// line and prints the replies as plain text, for scripts.
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

export const chatUsage = `usage:
  agentrpc chat [--url http://127.0.0.1:3000] [--key KEY] [--agent ID] [--session ID]

--key defaults to AGENTRPC_KEY; --agent to the server's first agent.
At a terminal: /new, /sessions, /switch <id>, /exit; Ctrl-C stops a reply, and exits when idle.
Piped: one turn per input line, replies printed as plain text.`;

/** The SDK is an optional peer of the server package: `agentrpc chat` needs it installed. */
async function loadSdk() {
  try {
    return await import('@agentrpc/sdk');
  } catch {
    throw new Error('agentrpc chat needs @agentrpc/sdk: npm install @agentrpc/sdk');
  }
}

export async function chatCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      url: { type: 'string', default: process.env.AGENTRPC_URL ?? 'http://127.0.0.1:3000' },
      key: { type: 'string' },
      agent: { type: 'string' },
      session: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(chatUsage);
    return;
  }
  const { createClient } = await loadSdk();
  const key = values.key ?? process.env.AGENTRPC_KEY;
  const client = createClient({ url: values.url, ...(key ? { apiKey: key } : {}) });
  const agents = await client.agents.list();
  const agentId = values.agent ?? agents[0]?.id;
  if (!agentId || !agents.some((a) => a.id === agentId)) {
    throw new Error(
      `no agent ${values.agent ?? ''} at ${values.url}; it has: ${agents.map((a) => a.id).join(', ')}`,
    );
  }
  const start = { client, agentId, sessionId: values.session };
  if (process.stdin.isTTY) {
    const { terminalChat } = await import('./terminal-chat.ts');
    await terminalChat(start);
    return;
  }
  const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  let sessionId = start.sessionId;
  for await (const line of lines) {
    if (!line.trim()) continue;
    const out = await client.run({ agentId, input: line, ...(sessionId ? { sessionId } : {}) });
    sessionId = out.sessionId;
    if (out.status === 'paused') {
      console.error(
        `run ${out.runId} paused for approval; approve it at a terminal or in the console`,
      );
    }
    process.stdout.write(`${out.content}\n`);
  }
  client.close();
}
