// The whole check: build, typecheck, lint, then every test in one vitest run,
// ending with a plain "N passed, N failed, N skipped" line.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';

function step(command, args) {
  console.log(`\n> ${command} ${args.join(' ')}`);
  return spawnSync(command, args, { stdio: 'inherit' }).status ?? 1;
}

for (const [command, args] of [
  ['turbo', ['run', 'build', 'typecheck', '--output-logs=errors-only']],
  ['biome', ['check', '.']],
]) {
  const status = step(command, args);
  if (status !== 0) process.exit(status);
}

mkdirSync('.tmp', { recursive: true });
const report = '.tmp/vitest.json';
const status = step('vitest', [
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${report}`,
  ...process.argv.slice(2),
]);
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
