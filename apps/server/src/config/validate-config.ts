// Checks a server config before anything starts, with zod, and says what is
// wrong by its path in the config (`auth.apiKeys[0].key: …`), so a typo never
// surfaces later as a stack trace from deep inside the server.
import { z } from 'zod';
import { defaultLimits, type ServerConfig } from './define-config.ts';

const nonEmpty = (what: string) =>
  z.string({ error: `must be ${what}` }).refine((text) => text.trim() !== '', `must be ${what}`);

const positive = z.number().positive().finite();

const agent = z.custom<ServerConfig['agents'][number]>(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { id?: unknown }).id === 'string' &&
    typeof (value as { stream?: unknown }).stream === 'function',
  'must be an Agent (new Agent({ id, model, … }))',
);

const schema = z.object({
  agents: z
    .array(agent, { error: 'must be a list of agents' })
    .min(1, 'must list at least one agent')
    .superRefine((agents, ctx) => {
      const ids = agents.map((a) => a.id);
      const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
      if (duplicate)
        ctx.addIssue({ code: 'custom', message: `two agents share the id "${duplicate}"` });
    }),
  auth: z
    .object({
      apiKeys: z
        .array(
          z.object({
            key: nonEmpty('a non-empty string (the secret a caller sends as Bearer)'),
            userId: nonEmpty('a non-empty string'),
            roles: z.array(z.string()).optional(),
          }),
        )
        .optional(),
      jwt: z
        .object({
          secret: nonEmpty('a non-empty string').optional(),
          jwksUrl: z.url().optional(),
          issuer: z.string().optional(),
          audience: z.string().optional(),
          userClaim: z.string().optional(),
          rolesClaim: z.string().optional(),
          maxAgeSeconds: positive.optional(),
          requireExpiry: z.boolean().optional(),
          clockToleranceSeconds: z.number().min(0).finite().optional(),
        })
        .refine((jwt) => jwt.secret || jwt.jwksUrl, 'needs a secret or a jwksUrl')
        .optional(),
    })
    .optional(),
  // Strict, so a misspelt limit is an error instead of silently the default.
  limits: z
    .strictObject({
      ...Object.fromEntries(Object.keys(defaultLimits).map((name) => [name, positive])),
      // 0 turns load shedding off.
      maxEventLoopDelayMs: z.number().min(0).finite(),
    })
    .partial()
    .optional(),
  retention: z.object({ sessionTtlMs: positive, intervalMs: positive.optional() }).optional(),
  shutdownGraceMs: z.number().min(0).finite().optional(),
  // Whole seconds at least: the Keep-Alive header says it in seconds.
  keepAliveTimeoutMs: z.number().int().min(1000).max(3_600_000).optional(),
  cors: z.object({ origins: z.union([z.literal('*'), z.array(z.string())]) }).optional(),
  ui: z.boolean().optional(),
  openaiCompatible: z.boolean().optional(),
  uiRoot: z.string().min(1).optional(),
  instanceId: z.string().min(1).max(200).optional(),
  peers: z
    .strictObject({
      secret: z.string().min(16, 'at least 16 characters, the same on every instance'),
      url: z.url({ protocol: /^https?$/ }).optional(),
    })
    .optional(),
  metrics: z
    .strictObject({
      port: z.number().int().min(0).max(65_535).optional(),
      host: z.string().optional(),
      token: nonEmpty('a non-empty string (sent as Bearer to /metrics)').optional(),
    })
    .optional(),
});

/** A config that cannot work; the message lists every problem by its path. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** `auth.apiKeys[0].key` for the path ['auth', 'apiKeys', 0, 'key']. */
function pathText(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i ? '.' : ''}${String(part)}`))
    .join('');
}

/** Throws a ConfigError naming each problem; `source` (the file) prefixes the message. */
export function validateConfig(config: unknown, source = 'config'): ServerConfig {
  if (typeof config !== 'object' || config === null) {
    throw new ConfigError(
      `${source}: must export default defineConfig({ agents: [...] }) with at least one agent`,
    );
  }
  const result = schema.safeParse(config);
  if (result.success) return config as ServerConfig;
  const problems = result.error.issues.map(
    (issue) => `  ${pathText(issue.path) || '(config)'}: ${issue.message}`,
  );
  throw new ConfigError(`${source} is not a valid agentrpc config:\n${problems.join('\n')}`);
}
