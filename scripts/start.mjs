// `pnpm start` (and `./dev start`): builds the web console when its sources
// changed (turbo caches the rest), then runs `agentrpc serve` with the given args.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { serverNodeFlags } from '../apps/server/src/node-flags.ts';

mkdirSync('.tmp', { recursive: true });
const build = spawnSync(
  'turbo',
  ['run', 'build', '--filter=@agentrpc/web', '--output-logs=errors-only', '--log-prefix=none'],
  { encoding: 'utf8' },
);
if (build.status !== 0) {
  writeFileSync('.tmp/web-build.log', `${build.stdout}${build.stderr}`);
  console.error(
    `${build.stdout}${build.stderr}\nthe web console did not build (log: .tmp/web-build.log)`,
  );
  process.exit(build.status ?? 1);
}

const server = spawn(
  process.execPath,
  [
    ...serverNodeFlags,
    '--conditions=@agentrpc/source',
    '--disable-warning=ExperimentalWarning',
    'apps/server/src/cli.ts',
    'serve',
    ...process.argv.slice(2),
  ],
  { stdio: 'inherit' },
);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
server.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
