// The packages as users get them: every publishable package is packed and
// passes publint and arethetypeswrong; a project outside the workspace
// installs only the SDK's tarball with npm, typechecks a strict consumer with
// TypeScript 5.9 and the latest TypeScript under `nodenext` and `bundler`,
// and runs it against a real server, on an older Node when the machine has one.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, DemoModel, MemoryStore } from '@agentrpc/core';
import { type AgentRpcServer, startServer } from '@agentrpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  installedPackages,
  npmProject,
  packAll,
  packageCheckers,
  publishable,
  run,
  sizeOf,
} from './pack-tools.ts';

const serverOnly = ['mongodb', 'pino', 'prom-client', 'openai', 'jose', 'ws', 'zod'];
const typescripts = { typescript: '5.9.3', 'typescript-latest': 'latest' };

/** A Node older than the one running the tests (the SDK supports Node 20), if the machine has one. */
function olderNode(): string | undefined {
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node']) {
    const version = spawnSync(candidate, ['--version'], { encoding: 'utf8' }).stdout?.trim();
    const major = Number(/^v(\d+)/.exec(version ?? '')?.[1]);
    if (major >= 20 && major < Number(process.versions.node.split('.')[0])) return candidate;
  }
  return undefined;
}

function tsconfig(kind: 'nodenext' | 'bundler') {
  const strict = {
    target: 'ES2022',
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    // Our declarations are checked too, not skipped.
    skipLibCheck: false,
    rootDir: 'src',
  };
  return kind === 'nodenext'
    ? {
        compilerOptions: {
          ...strict,
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          types: ['node'],
          outDir: 'out',
        },
        include: ['src/consumer.ts', 'src/type-checks.ts'],
      }
    : {
        compilerOptions: {
          ...strict,
          module: 'ESNext',
          moduleResolution: 'Bundler',
          // A browser app: the DOM and no Node types (tRPC's types use Disposable).
          lib: ['ES2022', 'DOM', 'DOM.Iterable', 'ESNext.Disposable'],
          types: [],
          noEmit: true,
        },
        include: ['src/browser.ts'],
      };
}

let work = '';
let tarballs = new Map<string, string>();
let server: AgentRpcServer | undefined;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'agentrpc-packed-'));
  tarballs = await packAll(work);
  server = await startServer(
    {
      store: new MemoryStore(),
      // Paced, so the reply streams as several content events.
      agents: [new Agent({ id: 'assistant', model: new DemoModel({ chunkDelayMs: 5 }) })],
      auth: { apiKeys: [{ key: 'consumer-key', userId: 'consumer' }] },
    },
    { port: 0 },
  );
}, 120_000);

afterAll(async () => {
  await server?.close(1000);
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('published packages', () => {
  it.each(publishable)(
    '%s passes publint and arethetypeswrong',
    async (folder) => {
      const tarball = tarballs.get(folder) as string;
      const checkers = await packageCheckers();
      const bin = (name: string) => join(checkers, 'node_modules', '.bin', name);
      expect(await run(bin('publint'), ['run', tarball, '--strict'], work)).toMatch(/All good/);
      // ESM-only packages: CommonJS `require` and node10 resolution are out of scope.
      await run(bin('attw'), [tarball, '--profile', 'esm-only', '--format', 'ascii'], work);
      const files = (await run('tar', ['tzf', tarball], work)).split('\n');
      expect(files).toContain('package/LICENSE');
      expect(files).toContain('package/README.md');
      expect(files.filter((f) => /\.test\.|\/e2e\/|test-support/.test(f))).toEqual([]);
    },
    240_000,
  );
});

describe('a service that installs only @agentrpc/sdk', () => {
  let project = '';
  beforeAll(async () => {
    project = join(work, 'consumer');
    mkdirSync(join(project, 'src'), { recursive: true });
    const sources = {
      'consumer.ts': new URL('packed/consumer.ts', import.meta.url),
      'browser.ts': new URL('packed/browser.ts', import.meta.url),
      'type-checks.ts': new URL(
        '../../../../examples/consumer/src/type-checks.ts',
        import.meta.url,
      ),
    };
    for (const [name, url] of Object.entries(sources)) {
      copyFileSync(fileURLToPath(url), join(project, 'src', name));
    }
    for (const kind of ['nodenext', 'bundler'] as const) {
      writeFileSync(
        join(project, `tsconfig.${kind}.json`),
        JSON.stringify(tsconfig(kind), null, 2),
      );
    }
    await npmProject(project, [
      tarballs.get('packages/sdk') as string,
      '@types/node@22',
      ...Object.entries(typescripts).map(
        ([alias, version]) => `${alias}@npm:typescript@${version}`,
      ),
    ]);
  }, 240_000);

  it('gets a client-sized dependency closure', () => {
    const installed = installedPackages(join(project, 'node_modules'));
    expect([...installed].filter((name) => name.startsWith('@agentrpc/'))).toEqual([
      '@agentrpc/sdk',
    ]);
    expect(serverOnly.filter((name) => installed.has(name))).toEqual([]);
    const nodeModules = join(project, 'node_modules');
    const typescript = ['typescript', 'typescript-latest', '@typescript'];
    const bytes =
      sizeOf(nodeModules) -
      typescript.reduce((sum, name) => sum + sizeOf(join(nodeModules, name)), 0);
    expect(bytes).toBeLessThanOrEqual(10 * 1024 * 1024);
  });

  for (const [alias, version] of Object.entries(typescripts)) {
    for (const kind of ['nodenext', 'bundler'] as const) {
      it(`typechecks strictly with TypeScript ${version} under ${kind}`, async () => {
        const config = join(project, `tsconfig.${kind}.json`);
        const tsc = join(project, 'node_modules', alias, 'bin', 'tsc');
        await run(process.execPath, [tsc, '-p', config, '--noEmit'], project);
      }, 120_000);
    }
  }

  const node = olderNode() ?? process.execPath;
  it(`streams, runs, lists and fails with typed codes on Node ${spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim()}`, async () => {
    const tsc = join(project, 'node_modules', 'typescript', 'bin', 'tsc');
    await run(process.execPath, [tsc, '-p', join(project, 'tsconfig.nodenext.json')], project);
    const out = await run(node, ['out/consumer.js', server?.url ?? '', 'consumer-key'], project);
    const seen = JSON.parse(out.trim().split('\n').at(-1) ?? '{}');
    expect(seen.types[0]).toBe('run.started');
    expect(seen.types.at(-1)).toBe('run.completed');
    expect(seen.types.filter((t: string) => t === 'run.content').length).toBeGreaterThan(1);
    expect(seen.streamed.length).toBeGreaterThan(0);
    expect(seen.run.status).toBe('completed');
    expect(seen.run.content.length).toBeGreaterThan(0);
    expect(seen.sessionNames.length).toBe(2);
    expect(seen.missingRun).toBe('NOT_FOUND');
    expect(seen.badKey).toBe('UNAUTHORIZED');
    // Node 20 has no global WebSocket: transport 'ws' says so on the client's side.
    expect(seen.webSocket).toBe(
      Number(seen.node.split('.')[0]) >= 22 ? 'global' : 'WEBSOCKET_UNAVAILABLE',
    );
  }, 120_000);
});
