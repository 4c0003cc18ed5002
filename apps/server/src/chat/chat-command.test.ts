// `agentrpc chat` in a real terminal (tmux's pseudo-terminal) against a real
// server: a streamed reply, an approval, Ctrl-C mid-reply; and piped input.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, defineTool, type MemoryStore } from '@agentrpc/core';
import type { FakeOpenAI } from '@agentrpc/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { AgentRpcServer } from '../http/create-server.ts';
import { useServerOnFake } from '../test-support/server-on-fake.ts';

const cli = fileURLToPath(new URL('../cli.ts', import.meta.url));
const node = [
  process.execPath,
  '--conditions=@agentrpc/source',
  '--disable-warning=ExperimentalWarning',
  cli,
];
const hasTmux = spawnSync('tmux', ['-V']).status === 0;
if (!hasTmux && process.env.CI === 'true')
  throw new Error('the chat suite needs tmux (apt-get install -y tmux)');

const emails: string[] = [];
let server: AgentRpcServer;
const pane = 'chat';
/**
 * Each test's terminal gets a tmux server of its own (its own socket): a
 * server whose last session was just killed exits, and a new session asked of
 * it meanwhile fails with "server exited unexpectedly".
 */
let sockets = '';
let socket = '';
let terminals = 0;
const tmuxArgs = (...args: string[]) => ['-S', socket, ...args];

const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`).join(' ');
const screen = () =>
  execFileSync('tmux', tmuxArgs('capture-pane', '-p', '-J', '-t', pane, '-S', '-500'), {
    encoding: 'utf8',
  });
const keys = (...input: string[]) =>
  execFileSync('tmux', tmuxArgs('send-keys', '-t', pane, ...input));
const alive = () => spawnSync('tmux', tmuxArgs('has-session', '-t', pane)).status === 0;

function openChat() {
  const command = [...node, 'chat', '--url', server.url, '--key', 'chat-key']
    .map((part) => `'${part}'`)
    .join(' ');
  terminals += 1;
  socket = join(sockets, `tmux-${terminals}`);
  execFileSync('tmux', tmuxArgs('new-session', '-d', '-s', pane, '-x', '160', '-y', '50', command));
}

describe.skipIf(!hasTmux)(`agentrpc chat${hasTmux ? '' : ': skipped, tmux is needed'}`, () => {
  const world = useServerOnFake((model) => ({
    agents: [
      new Agent({
        id: 'helper',
        model,
        tools: [
          defineTool({
            name: 'send_email',
            description: 'Send an email',
            parameters: z.object({ to: z.string() }),
            requiresConfirmation: true,
            execute: ({ to }) => {
              emails.push(to);
              return { sent: true };
            },
          }),
        ],
      }),
    ],
    auth: { apiKeys: [{ key: 'chat-key', userId: 'cli' }] },
  }));
  let fake: FakeOpenAI;
  let store: MemoryStore;
  beforeAll(() => {
    ({ fake, store, server } = world);
    sockets = mkdtempSync(join(tmpdir(), 'agentrpc-chat-'));
  });
  afterAll(() => rmSync(sockets, { recursive: true, force: true }));
  afterEach(() => {
    if (socket) spawnSync('tmux', tmuxArgs('kill-server'));
    fake.reset();
  });

  it('streams a reply as it comes', async () => {
    const text = words(40);
    fake.enqueue({ text, chunkSize: 6, chunkDelayMs: 50 });
    openChat();
    await expect.poll(screen, { timeout: 10_000 }).toContain('you>');
    keys('hello there', 'Enter');
    // Seen part-way, then whole.
    await expect.poll(screen, { timeout: 10_000 }).toMatch(/w5\b/);
    expect(screen()).not.toContain('w39');
    await expect.poll(screen, { timeout: 10_000 }).toContain('w39');
  });

  it('asks y/n for a paused call, runs it, and shows it on one line', async () => {
    fake.enqueue(
      { toolCalls: [{ name: 'send_email', arguments: { to: 'bob@example.com' } }] },
      { text: 'Sent it.' },
    );
    openChat();
    await expect.poll(screen, { timeout: 10_000 }).toContain('you>');
    keys('email bob', 'Enter');
    await expect.poll(screen, { timeout: 10_000 }).toContain('run it? [y/n]');
    keys('y', 'Enter');
    await expect.poll(screen, { timeout: 10_000 }).toContain('Sent it.');
    expect(screen()).toMatch(/⚙ send_email\(\{"to":"bob@example.com"\}\) → \{"sent":true\}/);
    expect(emails).toEqual(['bob@example.com']);
  });

  it('stops a reply with Ctrl-C, and leaves with a second', async () => {
    fake.enqueue({ text: words(300), chunkSize: 4, chunkDelayMs: 40 });
    openChat();
    await expect.poll(screen, { timeout: 10_000 }).toContain('you>');
    keys('a long one', 'Enter');
    await expect.poll(screen, { timeout: 10_000 }).toMatch(/w3\b/);
    keys('C-c');
    await expect.poll(screen, { timeout: 10_000 }).toContain('[cancelled]');
    const sessions = await store.listSessions({
      userId: 'cli',
      sortBy: 'updatedAt',
      order: 'desc',
    });
    const sessionId = sessions.items[0]?.sessionId ?? '';
    const lastStatus = async () =>
      (await store.listRuns({ userId: 'cli', sessionId, order: 'desc', limit: 1 }))[0]?.status;
    await expect.poll(lastStatus, { timeout: 10_000 }).toBe('cancelled');
    expect(screen()).not.toContain('w299');
    keys('C-c');
    await expect.poll(alive, { timeout: 10_000 }).toBe(false);
  });

  it('lists sessions, switches to one, and starts a new one', async () => {
    fake.enqueue({ text: 'noted' }, { text: 'back again' });
    openChat();
    await expect.poll(screen, { timeout: 10_000 }).toContain('you>');
    keys('remember me', 'Enter');
    await expect.poll(screen, { timeout: 10_000 }).toContain('noted');
    const sessions = await store.listSessions({
      userId: 'cli',
      sortBy: 'updatedAt',
      order: 'desc',
    });
    const sessionId = sessions.items[0]?.sessionId ?? '';
    keys('/new', 'Enter');
    await expect.poll(screen, { timeout: 10_000 }).toContain('new session');
    keys('/sessions', 'Enter');
    await expect.poll(screen, { timeout: 10_000 }).toContain(`${sessionId}  helper  remember me`);
    keys(`/switch ${sessionId}`, 'Enter');
    await expect.poll(screen, { timeout: 10_000 }).toContain(`session ${sessionId} (helper)`);
    keys('and now?', 'Enter');
    await expect.poll(screen, { timeout: 10_000 }).toContain('back again');
    const sent = fake
      .completionRequests()[1]
      ?.body.messages.map((m: { content: string }) => m.content);
    expect(sent).toEqual(['remember me', 'noted', 'and now?']);
  });

  it('runs one turn per piped line, in one session, printing plain text', async () => {
    fake.enqueue({ text: 'first answer' }, { text: 'second answer' });
    const child = execFile(node[0] as string, [
      ...node.slice(1),
      'chat',
      '--url',
      server.url,
      '--key',
      'chat-key',
    ]);
    child.stdin?.end('one\ntwo\n');
    const stdout = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (part: Buffer) => (out += part.toString()));
      child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}`))));
    });
    expect(stdout).toBe('first answer\nsecond answer\n');
    const second = fake
      .completionRequests()[1]
      ?.body.messages.map((m: { content: string }) => m.content);
    expect(second).toEqual(['one', 'first answer', 'two']);
  });
});
