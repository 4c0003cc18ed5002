// Finds and imports agentrpc.config.ts / .mjs / .js. TypeScript configs load
// without a build step (Node strips their types).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ServerConfig } from './define-config.ts';

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
    if (!existsSync(full)) throw new Error(`config file not found: ${full}`);
    return full;
  }
  return candidates.map((name) => resolve(cwd, name)).find((full) => existsSync(full));
}

export async function loadConfigFile(file: string): Promise<ServerConfig> {
  const module = (await import(pathToFileURL(file).href)) as { default?: ServerConfig };
  const config = module.default;
  if (!config || !Array.isArray(config.agents) || config.agents.length === 0) {
    throw new Error(
      `${file} must export default defineConfig({ agents: [...] }) with at least one agent`,
    );
  }
  const ids = config.agents.map((agent) => agent.id);
  const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
  if (duplicate) throw new Error(`${file}: two agents share the id "${duplicate}"`);
  return config;
}
