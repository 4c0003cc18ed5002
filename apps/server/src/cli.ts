// The `agentrpc` command: `serve` runs the server, `cleanup` applies retention once.
import { parseArgs } from 'node:util';
import { defaultConfig } from './config/default-config.ts';
import { findConfigFile, loadConfigFile } from './config/load-config.ts';
import { describeStore, storeFromEnv } from './config/store-from-env.ts';
import { startServer } from './http/create-server.ts';

const usage = `usage:
  agentrpc serve   [--config agentrpc.config.ts] [--port 3000] [--host 127.0.0.1]
  agentrpc cleanup [--config agentrpc.config.ts] --older-than 30d   (delete sessions idle that long)`;

const units: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "30d", "12h", "90m", "45s" in milliseconds. */
function parseDuration(text: string): number {
  const match = /^(\d+)([smhd])$/.exec(text.trim());
  if (!match) throw new Error(`--older-than ${text}: use a number and s, m, h or d, e.g. 30d`);
  return Number(match[1]) * (units[match[2] as string] as number);
}

async function loadConfig(path: string | undefined) {
  const file = findConfigFile(path);
  return {
    file,
    ...(file ? { config: await loadConfigFile(file), demo: false } : defaultConfig()),
  };
}

async function cleanup(values: { config?: string | undefined; 'older-than'?: string | undefined }) {
  if (!values['older-than']) throw new Error('cleanup needs --older-than, e.g. --older-than 30d');
  const olderThan = parseDuration(values['older-than']);
  const { config } = await loadConfig(values.config);
  const store = config.store ?? (await storeFromEnv());
  try {
    const deleted = await store.deleteIdleSessions(Date.now() - olderThan);
    console.log(
      `deleted ${deleted} session(s) idle for more than ${values['older-than']} from ${describeStore(store)}`,
    );
  } finally {
    await store.close();
  }
}

async function main() {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      port: { type: 'string', default: process.env.PORT ?? '3000' },
      host: { type: 'string', default: process.env.HOST ?? '127.0.0.1' },
      'older-than': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (positionals[0] === 'cleanup' && !values.help) return cleanup(values);
  if (values.help || positionals[0] !== 'serve') {
    console.log(usage);
    process.exitCode = values.help ? 0 : 2;
    return;
  }
  const loaded = await loadConfig(values.config);
  const file = loaded.file;
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new Error(`--port ${values.port} is not a port`);
  const server = await startServer(loaded.config, { port, host: values.host });
  const agents = loaded.config.agents.map((a) => a.id).join(', ');
  console.log(
    `agentrpc listening on ${server.url}  (tRPC at ${server.url}/trpc, agents: ${agents})`,
  );
  console.log(
    file ? `config: ${file}` : 'no config file: one "assistant" agent from the environment',
  );
  if (loaded.demo)
    console.log('No OPENAI_API_KEY set: the assistant is the built-in offline demo model.');
  if (server.recovered) {
    console.log(
      `ended ${server.recovered} run(s) left unfinished by a previous process (INTERRUPTED)`,
    );
  }
  if (!loaded.config.auth?.apiKeys?.length && !loaded.config.auth?.jwt) {
    console.warn(
      'warning: no auth configured; every caller is the single local user, loopback only.',
    );
  }
  console.log(`store: ${describeStore(server.services.store)}`);
  const stop = async (signal: string) => {
    console.log(`${signal}: finishing runs, then stopping`);
    await server.close(loaded.config.shutdownGraceMs ?? 10_000);
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(`agentrpc: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
