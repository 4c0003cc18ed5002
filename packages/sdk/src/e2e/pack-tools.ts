// Packing and installing as users do: `pnpm pack` of every publishable
// package, npm installs into folders outside the workspace, and the
// ecosystem's package checks (publint, arethetypeswrong) from the registry.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

/** Every package the project publishes, by folder. */
export const publishable = [
  'packages/core',
  'packages/sdk',
  'packages/testing',
  'packages/mongodb',
  'apps/server',
];

const execFileAsync = promisify(execFile);

/**
 * Runs a command, returning its output; a failure throws with everything it
 * printed. Asynchronous, so a server in the test's own process keeps answering.
 */
export async function run(command: string, args: string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await execFileAsync(command, args, {
      cwd,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      timeout: 300_000,
      env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false' },
    });
    return stdout;
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${stdout}\n${stderr}`);
  }
}

/** `pnpm pack` of each publishable package into `destination`; the tarballs' paths by folder. */
export async function packAll(destination: string): Promise<Map<string, string>> {
  const tarballs = new Map<string, string>();
  for (const folder of publishable) {
    const out = await run(
      'pnpm',
      ['pack', '--pack-destination', destination],
      join(repoRoot, folder),
    );
    const tarball = out.trim().split('\n').at(-1)?.trim() ?? '';
    if (!tarball.endsWith('.tgz')) throw new Error(`pnpm pack printed no tarball:\n${out}`);
    tarballs.set(folder, tarball);
  }
  return tarballs;
}

/** npm-installs `specs` into a new project at `dir` (which must exist). */
export async function npmProject(dir: string, specs: string[]): Promise<void> {
  writeFileSync(join(dir, 'package.json'), '{ "private": true, "type": "module" }\n');
  await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...specs], dir);
}

const checkers = { publint: '0.3.25', '@arethetypeswrong/cli': '0.18.5' };

/** The folder holding publint and attw, installed once into the ignored .tools/. */
export async function packageCheckers(): Promise<string> {
  const dir = join(repoRoot, '.tools', 'pack-check');
  const marker = join(dir, 'versions.json');
  const wanted = JSON.stringify(checkers);
  if (!existsSync(marker) || readFileSync(marker, 'utf8') !== wanted) {
    mkdirSync(dir, { recursive: true });
    await npmProject(
      dir,
      Object.entries(checkers).map(([name, version]) => `${name}@${version}`),
    );
    writeFileSync(marker, wanted);
  }
  return dir;
}

/** Every installed package under `node_modules`, nested ones included, by name. */
export function installedPackages(nodeModules: string): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      if (entry.startsWith('.')) continue;
      if (entry.startsWith('@')) {
        for (const scoped of readdirSync(join(dir, entry))) visit(`${entry}/${scoped}`, dir);
      } else visit(entry, dir);
    }
  };
  const visit = (name: string, dir: string) => {
    names.add(name);
    const nested = join(dir, name, 'node_modules');
    if (existsSync(nested)) walk(nested);
  };
  walk(nodeModules);
  return names;
}

/** Bytes under `dir`, not following links. */
export function sizeOf(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += sizeOf(path);
    else if (entry.isFile()) total += statSync(path).size;
  }
  return total;
}
