// What a server about to start should warn its operator about: models that
// cannot work as configured (no API key for a remote provider), and no auth.
import type { ServerConfig } from './define-config.ts';

export function configWarnings(config: ServerConfig): string[] {
  const warnings = new Set<string>();
  for (const agent of config.agents) {
    const { model, fallbackModels = [] } = agent.options;
    for (const each of [model, ...fallbackModels]) {
      for (const problem of each.configurationProblems?.() ?? []) {
        warnings.add(`agent "${agent.id}": ${problem}`);
      }
    }
  }
  if (!config.auth?.apiKeys?.length && !config.auth?.jwt) {
    warnings.add('no auth configured; every caller is the single local user, loopback only.');
  }
  return [...warnings];
}
