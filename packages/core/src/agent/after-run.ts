// What an agent does after answering and before the run ends: update the
// session summary and extract memories about the user, each reported as an event.

import { extractMemories, type MemoryOptions, newMemory } from '../memory/user-memories.ts';
import type { Message } from '../message/types.ts';
import { type ActiveRun, nextEvent } from '../run/active-run.ts';
import { type SummaryOptions, summarizeSession } from '../session/summarize.ts';
import type { Session } from '../session/types.ts';
import type { Store } from '../store/types.ts';
import type { AgentOptions } from './options.ts';

type Finisher = (run: ActiveRun) => Promise<void>;

/** What every finisher of a run works with. */
interface FinishingRun {
  agent: AgentOptions;
  store: Store;
  session: Session;
}

function optionsOf<T extends object>(value: boolean | T | undefined): T | undefined {
  if (!value) return undefined;
  return value === true ? ({} as T) : value;
}

function summaryFinisher(
  { agent, store, session }: FinishingRun,
  options: SummaryOptions,
): Finisher {
  const every = Math.max(1, options.everyRuns ?? 1);
  return async (run) => {
    const runNumber = session.runCount + 1;
    if (runNumber % every !== 0) return;
    let messages: Message[] = run.output.messages;
    if (every > 1) {
      const earlier = await store.listRuns({
        userId: session.userId,
        sessionId: session.sessionId,
        status: 'completed',
        order: 'desc',
        limit: every - 1,
      });
      messages = [...earlier.reverse().flatMap((r) => r.messages), ...messages];
    }
    const summary = await summarizeSession({
      model: options.model ?? agent.model,
      previous: session.summary,
      messages,
      signal: run.controller.signal,
    });
    await store.updateSession(
      { userId: session.userId, sessionId: session.sessionId },
      { summary },
    );
    session.summary = summary;
    run.emit(nextEvent(run, { type: 'session.summary.updated', summary }));
  };
}

function memoryFinisher({ agent, store, session }: FinishingRun, options: MemoryOptions): Finisher {
  return async (run) => {
    const known = await store.listMemories({ userId: session.userId, limit: 200 });
    const facts = await extractMemories({
      model: options.model ?? agent.model,
      known,
      messages: run.output.messages,
      signal: run.controller.signal,
    });
    const memoryIds: string[] = [];
    for (const fact of facts) {
      const memory = newMemory({ userId: session.userId, agentId: agent.id, ...fact });
      memoryIds.push((await store.createMemory(memory)).memoryId);
    }
    if (memoryIds.length) run.emit(nextEvent(run, { type: 'memory.updated', memoryIds }));
  };
}

export function finishersFor(run: FinishingRun): Finisher[] {
  const finishers: Finisher[] = [];
  const summaries = optionsOf(run.agent.summaries);
  if (summaries) finishers.push(summaryFinisher(run, summaries));
  const memory = optionsOf(run.agent.memory);
  if (memory && memory.extract !== false) finishers.push(memoryFinisher(run, memory));
  return finishers;
}

export { optionsOf };
