// What a person gets without asking: no serious accessibility violation (axe)
// on the chat, sessions and inspector views; a small first download; no
// request to any other host; a page that fits 390 px and 1280 px, light and
// dark. Also takes the README's screenshots.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  keys,
  lastStatus,
  missing,
  screenshot,
  send,
  signedIn,
  useConsoleWorld,
} from './console-fixture.ts';

const axeSource = readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
);

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown }[];
}

/** axe-core's serious and critical violations on the page as it is now. */
async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource); // page.evaluate is not held to the page's CSP
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(): Promise<{ violations: AxeViolation[] }> } })
      .axe;
    return (await axe.run()).violations;
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${JSON.stringify(v.nodes.map((n) => n.target))})`);
}

describe.skipIf(missing !== undefined)(
  `console quality in chromium${missing ? `: skipped, ${missing}` : ''}`,
  () => {
    const world = useConsoleWorld();

    it('has no serious accessibility violation on the chat, sessions and inspector views', async () => {
      world.fake.enqueue(
        { toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] },
        { text: 'It is **sunny** in Oslo.' },
      );
      const page = await signedIn(world, keys.alice);
      await send(page, 'Weather in Oslo?');
      await expect.poll(() => lastStatus(page).textContent()).toBe('completed');
      expect(await seriousViolations(page)).toEqual([]);

      const sessionId = page.url().split('/').at(-1) ?? '';
      await page.getByRole('link', { name: 'Sessions', exact: true }).click();
      await page.locator('.session-list a').first().click();
      await page.getByTestId('session-state').waitFor();
      expect(page.url()).toContain(sessionId);
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, 'sessions');

      await page.locator('table a').first().click();
      await page.getByRole('list', { name: 'Events' }).locator('li').last().waitFor();
      await expect
        .poll(() => page.getByRole('list', { name: 'Events' }).textContent())
        .toContain('run.completed');
      await page.getByRole('list', { name: 'Events' }).locator('summary').nth(2).click();
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, 'inspector');
      await page.context().close();
    });

    it('loads at most 200 KB of JavaScript (gzipped) at start, all from its own host', async () => {
      const hosts = new Set<string>();
      const page = await signedIn(world, keys.alice);
      page.on('request', (request) => hosts.add(new URL(request.url()).origin));
      await page.reload();
      await page.getByRole('navigation', { name: 'Main' }).waitFor();
      expect([...hosts]).toEqual([world.server.url]);
      const html = await (await fetch(world.server.url)).text();
      const scripts = [
        ...html.matchAll(/<(?:script|link)[^>]+(?:src|href)="(\/assets\/[^"]+\.js)"/g),
      ];
      expect(scripts.length).toBeGreaterThan(0);
      const dist = fileURLToPath(new URL('../../dist', import.meta.url));
      const bytes = scripts.reduce(
        (sum, [, path]) => sum + gzipSync(readFileSync(dist + path)).length,
        0,
      );
      console.log(`web console: initial JavaScript ${(bytes / 1024).toFixed(1)} KB gzipped`);
      expect(bytes).toBeLessThanOrEqual(200 * 1024);
      await page.context().close();
    });

    it('fits 390 px and 1280 px wide, in light and dark', async () => {
      const backgrounds: string[] = [];
      for (const colorScheme of ['light', 'dark'] as const) {
        for (const width of [390, 1280]) {
          const context = await world.browser.newContext({
            viewport: { width, height: 800 },
            colorScheme,
          });
          const page = await context.newPage();
          await page.goto(world.server.url);
          await page.getByLabel('API key or JWT').fill(keys.alice);
          await page.getByRole('button', { name: 'Sign in' }).click();
          await page.getByLabel('Message').waitFor();
          const overflow = await page.evaluate(
            () => document.documentElement.scrollWidth - window.innerWidth,
          );
          expect(overflow, `${colorScheme} at ${width} px`).toBeLessThanOrEqual(0);
          backgrounds.push(
            await page.evaluate(() => getComputedStyle(document.body).backgroundColor),
          );
          await context.close();
        }
      }
      expect(backgrounds[0]).not.toBe(backgrounds[2]); // light and dark differ
    });
  },
);
