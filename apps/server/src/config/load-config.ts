// Finds and imports agentrpc.config.ts / .mts / .mjs / .js. TypeScript configs
// load without a build step (Node strips their types). A config that fails to
// load or is not valid is reported with its file and, where known, its line.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ServerConfig } from './define-config.ts';
import { ConfigError, validateConfig } from './validate-config.ts';

const candidates = [
  'agentrpc.config.ts',
  'agentrpc.config.mts',
  'agentrpc.config.mjs',
  'agentrpc.config.js',
];

/** The config file to use: the given path, else the first candidate in `cwd`, else undefined. */
export function findConfigFile(path: string | undefined, cwd = process.cwd()): string | undefined {
  if (path) {
    const full = resolve(cwd, path);
    if (!existsSync(full)) throw new ConfigError(`config file not found: ${full}`);
    return full;
  }
  return candidates.map((name) => resolve(cwd, name)).find((full) => existsSync(full));
}

/** `file:line:column` of the first place in `file` that an error's stack names, else the file. */
function locate(error: unknown, file: string): string {
  const url = pathToFileURL(file).href;
  const stack = error instanceof Error ? (error.stack ?? '') : '';
  for (const name of [url, file]) {
    const at = stack.indexOf(`${name}:`);
    if (at === -1) continue;
    const position = /^:(\d+)(?::(\d+))?/.exec(stack.slice(at + name.length));
    if (position) return `${file}:${position[1]}${position[2] ? `:${position[2]}` : ''}`;
  }
  return file;
}

export async function loadConfigFile(file: string): Promise<ServerConfig> {
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ConfigError(`${locate(error, file)}: ${message}`, { cause: error });
  }
  return validateConfig(module.default, file);
}
