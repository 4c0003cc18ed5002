// Part of lint: fails on any tracked file whose name (or any folder of whose
// path) starts with '-'. Such a name reads as an option to most commands
// (`rm *`, `wc *`, `xargs`), so a stray one trips whoever meets it next.
import { execFileSync } from 'node:child_process';

const tracked = execFileSync('git', ['ls-files', '-z'], { encoding: 'utf8' })
  .split('\0')
  .filter(Boolean);
const bad = tracked.filter((path) => path.split('/').some((part) => part.startsWith('-')));
if (bad.length) {
  console.error(`file names that start with '-' (rename or remove them):\n  ${bad.join('\n  ')}`);
  process.exit(1);
}
console.log(`file names: ${tracked.length} tracked files, none starts with '-'`);
