// The whole check: build, typecheck, lint, then every test in one vitest run,
// ending with a plain "N passed, N failed, N skipped" line.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';

function step(command, args) {
  console.log(`\n> ${command} ${args.join(' ')}`);
  return spawnSync(command, args, { stdio: 'inherit' }).status ?? 1;
}

for (const [command, args] of [
  ['turbo', ['run', 'build', 'typecheck', '--output-logs=errors-only']],
  ['node', ['scripts/check-file-names.mjs']],
  ['biome', ['check', '.']],
]) {
  const status = step(command, args);
  if (status !== 0) process.exit(status);
}

/** A free TCP port on loopback. */
function freePort() {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const hasGo = spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0;
let ferretPid;
let ferretPort;
if (!process.env.MONGODB_URL && hasGo) {
  // The MongoStore tests run against FerretDB, built from the Go module proxy.
  const port = await freePort();
  ferretPort = port;
  const url = execFileSync('scripts/ferretdb.sh', ['start', String(port)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  ferretPid = Number(readFileSync(`.tools/ferretdb/ferretdb-${port}.pid`, 'utf8'));
  process.env.MONGODB_URL = url;
  console.log(`\n> FerretDB on ${url}`);
} else if (!process.env.MONGODB_URL && process.env.CI === 'true') {
  console.error('CI needs Go (to build FerretDB) or MONGODB_URL for the MongoStore tests');
  process.exit(1);
}

// The real model server (llama.cpp through llama-cpp-python) is compiled once into
// .tools/llama/ before the tests, so its build does not share the cores with them.
const hasPython = spawnSync('python3', ['--version'], { stdio: 'ignore' }).status === 0;
if (hasPython) {
  // Also the official openai Python package, for the /v1 facade's Python client suite.
  for (const script of ['scripts/llama-server.sh', 'scripts/python-openai.sh']) {
    const status = step(script, ['install']);
    if (status !== 0 && process.env.CI === 'true') process.exit(status);
  }
} else if (process.env.CI === 'true') {
  console.error('CI needs python3 for the real model server (scripts/llama-server.sh)');
  process.exit(1);
}

// Debian packages the suites drive: chromium for the web console's browser suites
// (Playwright's own browser download is not reachable) and tmux for `agentrpc
// chat`'s terminal suite. Installed once when missing and apt-get can.
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const debian = [
  { name: 'chromium', present: () => existsSync(chromium) },
  { name: 'tmux', present: () => spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0 },
];
const wanted = debian.filter((p) => !p.present()).map((p) => p.name);
if (wanted.length && process.getuid?.() === 0 && spawnSync('apt-get', ['--version']).status === 0) {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  console.log(`\n> apt-get install ${wanted.join(' ')}`);
  spawnSync('apt-get', ['install', '-y', '-qq', ...wanted], {
    stdio: 'inherit',
    env,
  });
}
const stillMissing = debian.filter((p) => !p.present()).map((p) => p.name);
if (stillMissing.length && process.env.CI === 'true') {
  console.error(
    `CI needs ${stillMissing.join(' and ')} (apt-get install -y ${stillMissing.join(' ')})`,
  );
  process.exit(1);
}

// Servers started by tests log warnings and errors only, to keep the output readable.
process.env.AGENTRPC_LOG_LEVEL ??= 'warn';

mkdirSync('.tmp', { recursive: true });
const report = '.tmp/vitest.json';
const status = step('vitest', [
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${report}`,
  ...process.argv.slice(2),
]);
if (ferretPid) {
  try {
    process.kill(ferretPid);
    // A throwaway database: remove it, keeping the log only when something failed.
    rmSync(`.tools/ferretdb/data-${ferretPort}`, { recursive: true, force: true });
    rmSync(`.tools/ferretdb/ferretdb-${ferretPort}.pid`, { force: true });
    if (status === 0) rmSync(`.tools/ferretdb/ferretdb-${ferretPort}.log`, { force: true });
  } catch {
    console.error('FerretDB had already stopped; its log is in .tools/ferretdb/');
  }
}
try {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(
    `\ntests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`,
  );
} catch (error) {
  console.error(`no test report at ${report}: ${error.message}`);
  process.exit(status || 1);
}
process.exit(status);
