// The interactive side of `agentrpc chat`: a prompt, replies streamed as they
// come (reasoning dimmed, each tool call on one line), y/n for paused calls,
// Ctrl-C to stop a reply (and to leave when none is going), and a few commands.
import { createInterface, type Interface } from 'node:readline';
import type { AgentRpcClient, RunEvent } from '@agentrpc/sdk';

const dim = (text: string) => `\x1b[2m${text}\x1b[22m`;
const short = (value: unknown) => {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 119)}…` : text;
};

interface ChatState {
  client: AgentRpcClient;
  agentId: string;
  sessionId: string | undefined;
}

/** Arguments of the tool calls under way, by call id, for their one line. */
const toolArgs = new Map<string, unknown>();

/** Prints one event as the terminal shows it. */
function show(event: RunEvent, out: NodeJS.WriteStream) {
  switch (event.type) {
    case 'tool.started':
      toolArgs.set(event.toolCallId, event.args);
      break;
    case 'run.content':
      out.write(event.delta);
      break;
    case 'run.reasoning':
      out.write(dim(event.delta));
      break;
    case 'tool.completed':
      out.write(
        `\n⚙ ${event.name}(${short(toolArgs.get(event.toolCallId) ?? '')}) → ${short(event.result)}\n`,
      );
      toolArgs.delete(event.toolCallId);
      break;
    case 'tool.failed':
      out.write(`\n⚙ ${event.name} failed: ${event.error}\n`);
      break;
    case 'run.error':
      out.write(`\n[error ${event.code}] ${event.message}\n`);
      break;
    case 'run.cancelled':
      out.write('\n[cancelled]\n');
      break;
    default:
  }
}

function ask(rl: Interface, question: string): Promise<string> {
  return new Promise((resolve) => rl.question(question, resolve));
}

export async function terminalChat(start: ChatState): Promise<void> {
  const state = { ...start };
  const out = process.stdout;
  const rl = createInterface({ input: process.stdin, output: out, prompt: 'you> ' });
  let running: { controller: AbortController; runId: string | undefined } | undefined;
  rl.on('SIGINT', () => {
    if (!running) {
      rl.close();
      return;
    }
    const { controller, runId } = running;
    controller.abort();
    if (runId) void state.client.runs.cancel({ runId }).catch(() => undefined);
    out.write('\n[cancelled]\n');
  });

  /** Follows a run's events to its end (or the abort), asking about paused calls. */
  const follow = async (events: AsyncIterable<RunEvent>, controller: AbortController) => {
    let lastEventId: string | undefined;
    for (;;) {
      let paused: Extract<RunEvent, { type: 'run.paused' }> | undefined;
      try {
        for await (const event of events) {
          if (running) running.runId = event.runId;
          lastEventId = `${event.runId}:${event.seq}`;
          if (event.type === 'run.started') state.sessionId = event.sessionId;
          if (event.type === 'run.paused') paused = event;
          show(event, out);
        }
      } catch (error) {
        if (controller.signal.aborted) return;
        out.write(`\n[error] ${error instanceof Error ? error.message : String(error)}\n`);
        return;
      }
      if (!paused || controller.signal.aborted) return;
      const approvals: Record<string, boolean> = {};
      for (const call of paused.pendingToolCalls) {
        const answer = await ask(rl, `\n${call.name}(${short(call.args)}) — run it? [y/n] `);
        approvals[call.id] = /^y/i.test(answer.trim());
      }
      await state.client.runs.continue({ runId: paused.runId, approvals });
      events = state.client.runs.events(
        { runId: paused.runId },
        { signal: controller.signal, ...(lastEventId ? { lastEventId } : {}) },
      );
    }
  };

  const command = async (line: string): Promise<boolean> => {
    const [name, arg] = line.split(/\s+/);
    switch (name) {
      case '/exit':
        return false;
      case '/new':
        state.sessionId = undefined;
        out.write('new session\n');
        return true;
      case '/sessions': {
        const page = await state.client.sessions.list({
          limit: 20,
          sortBy: 'updatedAt',
          order: 'desc',
        });
        for (const s of page.items) out.write(`${s.sessionId}  ${s.agentId}  ${s.name}\n`);
        if (!page.items.length) out.write('no sessions\n');
        return true;
      }
      case '/switch': {
        if (!arg) out.write('usage: /switch <session id>\n');
        else {
          const session = await state.client.sessions.get({ sessionId: arg });
          state.sessionId = session.sessionId;
          state.agentId = session.agentId;
          out.write(`session ${session.sessionId} (${session.agentId}): ${session.name}\n`);
        }
        return true;
      }
      default:
        out.write('commands: /new, /sessions, /switch <id>, /exit\n');
        return true;
    }
  };

  out.write(
    `agentrpc chat with ${state.agentId}: /new, /sessions, /switch <id>, /exit; Ctrl-C stops a reply\n`,
  );
  rl.prompt();
  for await (const raw of rl) {
    const line = raw.trim();
    if (line.startsWith('/')) {
      try {
        if (!(await command(line))) break;
      } catch (error) {
        out.write(`[error] ${error instanceof Error ? error.message : String(error)}\n`);
      }
    } else if (line) {
      const controller = new AbortController();
      running = { controller, runId: undefined };
      const events = state.client.runs.stream(
        {
          agentId: state.agentId,
          input: line,
          ...(state.sessionId ? { sessionId: state.sessionId } : {}),
        },
        { signal: controller.signal },
      );
      await follow(events, controller);
      running = undefined;
      out.write('\n');
    }
    rl.prompt();
  }
  rl.close();
  state.client.close();
}
