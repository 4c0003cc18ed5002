// `agentrpc serve [--config path] [--port 3000] [--host 127.0.0.1]`
import { parseArgs } from 'node:util';
import { defaultConfig } from './config/default-config.ts';
import { findConfigFile, loadConfigFile } from './config/load-config.ts';
import { startServer } from './http/create-server.ts';

const usage =
  'usage: agentrpc serve [--config agentrpc.config.ts] [--port 3000] [--host 127.0.0.1]';

async function main() {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      port: { type: 'string', default: process.env.PORT ?? '3000' },
      host: { type: 'string', default: process.env.HOST ?? '127.0.0.1' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || positionals[0] !== 'serve') {
    console.log(usage);
    process.exitCode = values.help ? 0 : 2;
    return;
  }
  const file = findConfigFile(values.config);
  const loaded = file ? { config: await loadConfigFile(file), demo: false } : defaultConfig();
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
  if (!loaded.config.auth?.apiKeys?.length && !loaded.config.auth?.jwt) {
    console.warn(
      'warning: no auth configured; every caller is the single local user, loopback only.',
    );
  }
  const stop = async (signal: string) => {
    console.log(`${signal}: finishing runs, then stopping`);
    await server.close(10_000);
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(`agentrpc: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
