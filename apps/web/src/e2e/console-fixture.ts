// The browser suites' world: a real agentrpc server (in this process, on port
// 0) with the fake OpenAI upstream, serving the built console, and Debian's
// chromium driven by playwright-core. Outside CI a missing part skips the
// suite and says why; under CI=true it must be there.
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Agent, defineTool, MemoryStore, OpenAIChat } from '@agentrpc/core';
import { type AgentRpcServer, startServer } from '@agentrpc/server';
import { createFakeOpenAI, type FakeOpenAI } from '@agentrpc/testing';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { z } from 'zod';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const built = fileURLToPath(new URL('../../dist/index.html', import.meta.url));

/** Why the browser suites cannot run here, or undefined when they can. */
export const missing = !existsSync(chromiumPath)
  ? `no chromium at ${chromiumPath} (apt-get install -y chromium, or set CHROMIUM_PATH)`
  : !existsSync(built)
    ? 'the console is not built (pnpm --filter @agentrpc/web build)'
    : undefined;
if (missing && process.env.CI === 'true') throw new Error(`browser suites: ${missing}`);

export const keys = { alice: 'alice-key', bob: 'bob-key' };

export interface ConsoleWorld {
  server: AgentRpcServer;
  fake: FakeOpenAI;
  store: MemoryStore;
  browser: Browser;
  emails: string[];
}

/** Starts the world before the file's tests and stops it after; the fake is reset before each. */
export function useConsoleWorld(): ConsoleWorld {
  const world = {} as ConsoleWorld;
  beforeAll(async () => {
    world.fake = await createFakeOpenAI();
    world.store = new MemoryStore();
    world.emails = [];
    const model = new OpenAIChat({
      id: 'gpt-4o-mini',
      apiKey: 'k',
      baseURL: world.fake.baseURL,
      maxRetries: 0,
    });
    const weather = defineTool({
      name: 'get_weather',
      description: 'The weather in a city',
      parameters: z.object({ city: z.string() }),
      execute: ({ city }) => ({ city, tempC: 21 }),
    });
    const email = defineTool({
      name: 'send_email',
      description: 'Send an email',
      parameters: z.object({ to: z.string() }),
      requiresConfirmation: true,
      execute: ({ to }) => {
        world.emails.push(to);
        return { sent: true };
      },
    });
    world.server = await startServer(
      {
        store: world.store,
        agents: [
          new Agent({
            id: 'assistant',
            name: 'Assistant',
            model,
            instructions: 'You help with the weather and with email.',
            tools: [weather, email],
          }),
          new Agent({
            id: 'extractor',
            name: 'Extractor',
            model,
            outputSchema: z.object({ city: z.string(), tempC: z.number() }),
          }),
        ],
        auth: {
          apiKeys: [
            { key: keys.alice, userId: 'alice', roles: ['admin'] },
            { key: keys.bob, userId: 'bob' },
          ],
        },
      },
      { port: 0, onWarning: () => {} },
    );
    world.browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
  }, 60_000);
  afterAll(async () => {
    await world.browser?.close();
    await world.server?.close(100);
    await world.fake?.close();
  });
  beforeEach(() => world.fake?.reset());
  return world;
}

/** A new tab of a new browser profile, signed in with `key` (at `url`, default the server's). */
export async function signedIn(world: ConsoleWorld, key: string, url?: string): Promise<Page> {
  const context = await world.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  // Below the test's own timeout (20 s), so that a step that hangs fails naming its locator.
  page.setDefaultTimeout(10_000);
  await page.goto(url ?? world.server.url);
  await page.getByLabel('API key or JWT').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
  return page;
}

/** Sends a chat message from the composer. */
export async function send(page: Page, text: string): Promise<void> {
  await page.getByLabel('Message').fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
}

/** The last exchange's run status badge. */
export const lastStatus = (page: Page) => page.getByTestId('run-status').last();

/** Where screenshots go: .tmp/screenshots, and docs/images too with UPDATE_SCREENSHOTS=1. */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dirs = [fileURLToPath(new URL('../../../../.tmp/screenshots/', import.meta.url))];
  if (process.env.UPDATE_SCREENSHOTS === '1') {
    dirs.push(fileURLToPath(new URL('../../../../docs/images/', import.meta.url)));
  }
  for (const dir of dirs) {
    mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: `${dir}${name}.png` });
  }
}
