import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, DemoModel, MemoryStore } from '@agentrpc/core';
import { SqliteStore } from '@agentrpc/core/sqlite';
import { serveAgentRpc } from '@agentrpc/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer } from './http/create-server.ts';

const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
const fixture = fileURLToPath(new URL('../test/fixtures/agentrpc.config.ts', import.meta.url));
const children: ChildProcess[] = [];
const scratch = mkdtempSync(join(tmpdir(), 'agentrpc-cli-'));

/** Starts `agentrpc serve` on a free port and resolves with its URL and output so far. */
async function serve(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const config = args[args.indexOf('--config') + 1];
  const server = await serveAgentRpc({
    cli,
    ...(args.includes('--config') && config ? { config } : {}),
    env: options.env ?? {
      ...process.env,
      AGENTRPC_STORE: `sqlite:${join(scratch, `${randomUUID()}.db`)}`,
    },
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  children.push(server.child);
  return server;
}

/** Runs the CLI to its end; resolves with its exit code and what it printed. */
async function runCli(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const child = spawn(process.execPath, ['--conditions=@agentrpc/source', cli, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (part: Buffer) => {
    stdout += part.toString();
  });
  child.stderr?.on('data', (part: Buffer) => {
    stderr += part.toString();
  });
  const [code] = await once(child, 'exit');
  return { code, stdout, stderr };
}

const fixtureFile = (name: string) =>
  fileURLToPath(new URL(`../test/fixtures/${name}`, import.meta.url));

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

describe('agentrpc serve', () => {
  it('loads a TypeScript config file, serves it with auth, and stops cleanly on SIGTERM', async () => {
    const { child, url } = await serve(['--config', fixture]);
    expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ ok: true });
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    const denied = await fetch(`${url}/trpc/agents.list`);
    expect(denied.status).toBe(401);
    const listed = await fetch(`${url}/trpc/agents.list`, {
      headers: { authorization: 'Bearer fixture-key' },
    });
    const body = (await listed.json()) as { result: { data: { json: { id: string }[] } } };
    expect(body.result.data.json.map((a) => a.id)).toEqual(['echo']);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });

  it("runs with flags on node's own command line, those NODE_OPTIONS refuses included", async () => {
    const seen = join(scratch, `${randomUUID()}.json`);
    const preload = join(scratch, `${randomUUID()}.cjs`);
    writeFileSync(
      preload,
      `require('node:fs').writeFileSync(${JSON.stringify(seen)}, JSON.stringify(process.execArgv));`,
    );
    const server = await serveAgentRpc({
      cli,
      env: { ...process.env, AGENTRPC_STORE: 'memory' },
      nodeFlags: ['--heap-growing-percent=30', '--require', preload],
    });
    children.push(server.child);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const execArgv = JSON.parse(readFileSync(seen, 'utf8')) as string[];
    expect(execArgv.slice(0, 3)).toEqual(['--heap-growing-percent=30', '--require', preload]);
  });

  it('with no config and no API key serves the demo assistant and says so', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'agentrpc-'));
    const env = { ...process.env };
    delete env.OPENAI_API_KEY;
    const { url, output } = await serve([], { cwd, env });
    expect(output()).toMatch(/offline demo model/);
    expect(output()).toMatch(/store: SQLite at \.agentrpc\/agentrpc\.db/);
    expect(output()).toMatch(/no auth configured/);
    const res = await fetch(
      `${url}/trpc/agents.get?input=${encodeURIComponent(JSON.stringify({ json: { agentId: 'assistant' } }))}`,
    );
    expect(
      ((await res.json()) as { result: { data: { json: { model: string } } } }).result.data.json
        .model,
    ).toBe('demo');
  });

  it('fails with a clear message for a missing config file', async () => {
    const { code, stderr } = await runCli(['serve', '--config', 'nope.ts']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/config file not found/);
  });

  it('names the setting when an API key is empty', async () => {
    const file = fixtureFile('empty-key.config.ts');
    const { code, stderr } = await runCli(['serve', '--port', '0', '--config', file]);
    expect(code).toBe(1);
    expect(stderr).toContain(`${file} is not a valid agentrpc config`);
    expect(stderr).toMatch(/auth\.apiKeys\[1\]\.key: must be a non-empty string/);
    expect(stderr).not.toMatch(/apiKeys\[0\]/);
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('names the file and line where a config fails to load', async () => {
    const file = fixtureFile('throws.config.ts');
    const { code, stderr } = await runCli(['serve', '--port', '0', '--config', file]);
    expect(code).toBe(1);
    expect(stderr).toContain(`${file}:6`);
    expect(stderr).toMatch(/no agents were built/);
  });

  it('warns at start about an OpenAI model without an API key, not about a local one', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, AGENTRPC_STORE: 'memory' };
    delete env.OPENAI_API_KEY;
    delete env.OPENAI_BASE_URL;
    const { output } = await serve(['--config', fixtureFile('remote-no-key.config.ts')], { env });
    expect(output()).toMatch(
      /warning: agent "remote": model "gpt-4o-mini" at OpenAI has no API key/,
    );
    expect(output()).not.toMatch(/agent "local"/);
  });

  it('prints its version and, with --help, the environment it reads', async () => {
    const manifest = JSON.parse(
      readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
    ) as { version: string };
    expect((await runCli(['--version'])).stdout.trim()).toBe(manifest.version);
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const name of ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'AGENTRPC_MODEL', 'AGENTRPC_STORE']) {
      expect(help.stdout).toContain(name);
    }
  });

  it('the installed command tells an old Node to upgrade instead of failing later', async () => {
    // Pretend to be Node 20.11 before the bin runs.
    const pretend = `data:text/javascript,Object.defineProperty(process,'versions',{value:{...process.versions,node:'20.11.0'}})`;
    const bin = fileURLToPath(new URL('../bin/agentrpc.js', import.meta.url));
    const child = spawn(process.execPath, ['--import', pretend, bin, 'serve'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let stderr = '';
    child.stderr?.on('data', (part: Buffer) => {
      stderr += part.toString();
    });
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    expect(stderr).toMatch(/agentrpc needs Node\.js 22\.18 or newer; this is Node\.js 20\.11\.0/);
  });
});

describe('agentrpc cleanup', () => {
  it('deletes sessions idle longer than --older-than from the configured store', async () => {
    const path = join(scratch, 'cleanup.db');
    const store = new SqliteStore({ path });
    const now = Date.now();
    const base = { userId: 'u', agentId: 'a', name: 'n', state: {}, metadata: {}, runCount: 0 };
    await store.createSession({
      ...base,
      sessionId: 'old',
      createdAt: now - 40 * 86_400_000,
      updatedAt: now - 40 * 86_400_000,
    });
    await store.createSession({ ...base, sessionId: 'new', createdAt: now, updatedAt: now });
    await store.close();
    const child = spawn(
      process.execPath,
      [
        '--conditions=@agentrpc/source',
        '--disable-warning=ExperimentalWarning',
        cli,
        'cleanup',
        '--older-than',
        '30d',
      ],
      {
        env: { ...process.env, AGENTRPC_STORE: `sqlite:${path}` },
        cwd: scratch,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout?.on('data', (part: Buffer) => {
      out += part.toString();
    });
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    expect(out).toMatch(/deleted 1 session\(s\) idle for more than 30d/);
    const after = new SqliteStore({ path });
    expect(await after.getSession({ userId: 'u', sessionId: 'old' })).toBeNull();
    expect(await after.getSession({ userId: 'u', sessionId: 'new' })).not.toBeNull();
    await after.close();
  });
});

describe('startServer', () => {
  it('sweeps idle sessions periodically when retention is configured', async () => {
    const store = new MemoryStore();
    const now = Date.now();
    const base = {
      userId: 'u',
      agentId: 'a',
      name: 'n',
      state: {},
      metadata: {},
      runCount: 0,
      createdAt: now,
    };
    await store.createSession({ ...base, sessionId: 'stale', updatedAt: now - 10_000 });
    const agents = [new Agent({ id: 'a', model: new DemoModel() })];
    const server = await startServer(
      { agents, store, retention: { sessionTtlMs: 5_000, intervalMs: 50 } },
      { port: 0 },
    );
    try {
      await expect.poll(() => store.getSession({ userId: 'u', sessionId: 'stale' })).toBeNull();
    } finally {
      await server.close(100);
    }
  });

  it('refuses to listen beyond loopback without auth', async () => {
    const agents = [new Agent({ id: 'a', model: new DemoModel() })];
    await expect(startServer({ agents }, { host: '0.0.0.0', port: 0 })).rejects.toThrow(
      /without auth/,
    );
  });

  it('answers CORS preflights for configured origins only', async () => {
    const agents = [new Agent({ id: 'a', model: new DemoModel() })];
    const server = await startServer(
      { agents, cors: { origins: ['https://app.example'] } },
      { port: 0 },
    );
    try {
      const preflight = (origin: string) =>
        fetch(`${server.url}/trpc/agents.list`, {
          method: 'OPTIONS',
          headers: { origin, 'access-control-request-method': 'GET' },
        });
      const allowed = await preflight('https://app.example');
      expect(allowed.status).toBe(204);
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example');
      expect(
        (await preflight('https://evil.example')).headers.get('access-control-allow-origin'),
      ).toBeNull();
    } finally {
      await server.close(100);
    }
  });

  it('serves SSE unbuffered by proxies, and subscriptions by GET only', async () => {
    const agents = [new Agent({ id: 'a', model: new DemoModel() })];
    const server = await startServer({ agents }, { port: 0 });
    try {
      const input = encodeURIComponent(JSON.stringify({ json: { runId: 'none' } }));
      const res = await fetch(`${server.url}/trpc/runs.events?input=${input}`);
      expect(res.headers.get('content-type')).toBe('text/event-stream');
      expect(res.headers.get('x-accel-buffering')).toBe('no');
      expect(await res.text()).toMatch(/event: serialized-error/);
      const posted = await fetch(`${server.url}/trpc/runs.events`, { method: 'POST', body: '{}' });
      expect(posted.status).toBe(405);
    } finally {
      await server.close(100);
    }
  });

  it('answers 404 off the API and 413 for an oversized body', async () => {
    const agents = [new Agent({ id: 'a', model: new DemoModel() })];
    const server = await startServer({ agents, limits: { maxRequestBytes: 1000 } }, { port: 0 });
    try {
      expect((await fetch(`${server.url}/nothing`)).status).toBe(404);
      const big = await fetch(`${server.url}/trpc/runs.start`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ json: { agentId: 'a', input: 'x'.repeat(5000) } }),
      });
      expect(big.status).toBe(413);
    } finally {
      await server.close(100);
    }
  });
});
