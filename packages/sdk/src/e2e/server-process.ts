// Starts `agentrpc serve` as a child process with a given store, as a
// deployment runs it, and stops it like one (SIGTERM) or like a crash (SIGKILL).
import { fileURLToPath } from 'node:url';
import { serveAgentRpc } from '@agentrpc/testing';

export interface ServerProcess {
  url: string;
  output: () => string;
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
}

const cli = fileURLToPath(new URL('../../../../apps/server/src/cli.ts', import.meta.url));
const config = fileURLToPath(new URL('./fixtures/server.config.ts', import.meta.url));

export async function startServerProcess(options: {
  store: string;
  upstream: string;
  env?: Record<string, string>;
}): Promise<ServerProcess> {
  return serveAgentRpc({
    cli,
    config,
    env: {
      ...process.env,
      AGENTRPC_STORE: options.store,
      UPSTREAM_URL: options.upstream,
      ...options.env,
    },
  });
}
