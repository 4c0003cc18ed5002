// Compile-time checks that the SDK's types are real, not `any`: each expected-error
// directive below fails the typecheck if the line it marks stops being an error.
import { createClient } from '@agentrpc/sdk';

export async function typeChecks(url: string) {
  const client = createClient({ url });
  // @ts-expect-error agentId is required
  await client.runs.start({ input: 'hi' });
  // @ts-expect-error no such procedure
  await client.runs.nope();
  const run = await client.runs.get({ runId: 'r' });
  // @ts-expect-error status is a union of strings
  const status: number = run.status;
  for await (const event of client.runs.events({ runId: 'r' })) {
    // @ts-expect-error only content events carry a delta
    if (event.type === 'run.started') console.log(event.delta);
  }
  const page = await client.sessions.list({ limit: 10 });
  const names: string[] = page.items.map((s) => s.name);
  return { status, names };
}
