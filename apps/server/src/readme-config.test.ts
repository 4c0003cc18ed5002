// The README's Configure example, pasted as written into agentrpc.config.ts
// beside the workspace's packages, starts a server; without ALICE_KEY it stops
// with the setting named, as the README says.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ServedAgentRpc, serveAgentRpc } from '@agentrpc/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const cli = join(root, 'apps/server/src/cli.ts');
const dir = join(root, '.tmp', 'readme-config');

/** The first ```ts block after the "### Configure it" heading. */
function configureExample(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Configure it'));
  const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('README.md has no ```ts block under "### Configure it"');
  return block;
}

const env = (extra: Record<string, string>): NodeJS.ProcessEnv => {
  const next: NodeJS.ProcessEnv = { ...process.env, AGENTRPC_STORE: 'memory', ...extra };
  delete next.OPENAI_API_KEY;
  delete next.OPENAI_BASE_URL;
  if (!extra.ALICE_KEY) delete next.ALICE_KEY;
  return next;
};

let server: ServedAgentRpc | undefined;

beforeAll(() => {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'agentrpc.config.ts'), configureExample());
});

afterAll(() => server?.stop('SIGKILL'));

describe("the README's Configure example", () => {
  it('starts as written, with its agent behind its API key', async () => {
    server = await serveAgentRpc({ cli, cwd: dir, env: env({ ALICE_KEY: 'readme-key' }) });
    expect(server.output()).toContain(`config: ${join(dir, 'agentrpc.config.ts')}`);
    expect(server.output()).toMatch(
      /warning: agent "weather": model "gpt-4o-mini" at OpenAI has no API key/,
    );
    const listed = await fetch(`${server.url}/trpc/agents.list`, {
      headers: { authorization: 'Bearer readme-key' },
    });
    const body = (await listed.json()) as {
      result: { data: { json: { id: string; tools: string[] }[] } };
    };
    expect(body.result.data.json.map((agent) => agent.id)).toEqual(['weather']);
    expect((await fetch(`${server.url}/trpc/agents.list`)).status).toBe(401);
  });

  it('stops with the setting named when ALICE_KEY is unset', () => {
    const run = spawnSync(
      process.execPath,
      ['--conditions=@agentrpc/source', cli, 'serve', '--port', '0'],
      { cwd: dir, env: env({}), encoding: 'utf8' },
    );
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/auth\.apiKeys\[0\]\.key: must be a non-empty string/);
  });
});
