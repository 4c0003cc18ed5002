// The `agentrpc` command: `serve` runs the server, `cleanup` applies retention once,
// `chat` talks to a running server from the terminal.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { defaultConfig } from './config/default-config.ts';
import { findConfigFile, loadConfigFile } from './config/load-config.ts';
import { describeStore, storeFromEnv } from './config/store-from-env.ts';
import { startServer } from './http/create-server.ts';
import { limitOldGenerationGrowth } from './node-flags.ts';

const usage = `usage:
  agentrpc serve   [--config agentrpc.config.ts] [--port 3000] [--host 127.0.0.1]
  agentrpc cleanup [--config agentrpc.config.ts] --older-than 30d   (delete sessions idle that long)
  agentrpc chat    [--url http://127.0.0.1:3000] [--key KEY] [--agent ID] [--session ID]
  agentrpc --version | --help

Without --config, agentrpc.config.ts (.mts, .mjs, .js) in the working directory is used;
without one, a single "assistant" agent comes from the environment.

environment:
  OPENAI_API_KEY        the assistant's API key; unset, the assistant is the offline demo model
  OPENAI_BASE_URL       an OpenAI-compatible provider for the assistant (Ollama, vLLM, DeepSeek, …)
  AGENTRPC_MODEL        the assistant's model id (default gpt-4o-mini)
  AGENTRPC_STORE        memory | sqlite:<path> | mongodb://…  (default sqlite:.agentrpc/agentrpc.db)
  AGENTRPC_LOG_LEVEL    trace | debug | info | warn | error | silent (default info)
  AGENTRPC_INSTANCE_ID  this instance's stable id among several on one store (default host:pid)
  AGENTRPC_PEER_SECRET  shared by instances on one store: they stream each other's runs directly
  AGENTRPC_PEER_URL     where the other instances reach this one (default the address it listens on)
  AGENTRPC_TRANSPORTS   trpc serves subscriptions with tRPC's own adapters (for comparison)
  PORT, HOST            defaults for --port and --host`;

/** This package's version, from its package.json (one folder up from src/ or dist/). */
function version(): string {
  const manifest = new URL('../package.json', import.meta.url);
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

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
  if (process.argv[2] === 'chat') {
    const { chatCommand } = await import('./chat/chat-command.ts');
    return chatCommand(process.argv.slice(3));
  }
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      port: { type: 'string', default: process.env.PORT ?? '3000' },
      host: { type: 'string', default: process.env.HOST ?? '127.0.0.1' },
      'older-than': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
  if (values.version) {
    console.log(version());
    return;
  }
  if (positionals[0] === 'cleanup' && !values.help) return cleanup(values);
  if (values.help || positionals[0] !== 'serve') {
    console.log(usage);
    process.exitCode = values.help ? 0 : 2;
    return;
  }
  limitOldGenerationGrowth();
  const loaded = await loadConfig(values.config);
  const file = loaded.file;
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new Error(`--port ${values.port} is not a port`);
  const warnings: string[] = [];
  const server = await startServer(loaded.config, {
    port,
    host: values.host,
    onWarning: (warning) => warnings.push(warning),
    transports: process.env.AGENTRPC_TRANSPORTS === 'trpc' ? 'trpc' : 'agentrpc',
  });
  const agents = loaded.config.agents.map((a) => a.id).join(', ');
  console.log(
    `agentrpc listening on ${server.url}  (tRPC at ${server.url}/trpc, agents: ${agents})`,
  );
  console.log(
    server.consoleUrl
      ? `web console: open ${server.consoleUrl}`
      : 'web console: off (ui: false, or apps/web is not built)',
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
  for (const warning of warnings) console.warn(`warning: ${warning}`);
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
