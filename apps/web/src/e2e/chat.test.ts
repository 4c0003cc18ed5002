// The chat in a real browser: streamed Markdown arriving in pieces, tool
// cards, approving a paused call, Stop, and a reload mid-stream that ends
// with the reply complete exactly once.
import { createTcpProxy } from '@agentrpc/testing';
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

const words = (n: number) => Array.from({ length: n }, (_, i) => `word${i}`).join(' ');

describe.skipIf(missing !== undefined)(
  `the chat in chromium${missing ? `: skipped, ${missing}` : ''}`,
  () => {
    const world = useConsoleWorld();

    it('streams a reply in pieces, as sanitized Markdown', async () => {
      const text = `Here is **bold** news. ${words(30)} <img src=x onerror="window.hacked=1">`;
      world.fake.enqueue({ text, chunkSize: 6, chunkDelayMs: 40 });
      const page = await signedIn(world, keys.alice);
      await send(page, 'Tell me something');
      const reply = page.locator('.bubble.assistant .markdown').last();
      const lengths = new Set<number>();
      while ((await lastStatus(page).textContent()) !== 'completed') {
        const seen = (await reply.count()) ? ((await reply.textContent()) ?? '') : '';
        lengths.add(seen.length);
        await page.waitForTimeout(40);
      }
      expect(lengths.size).toBeGreaterThan(3); // it grew while the run went on
      await expect.poll(() => reply.locator('strong').textContent()).toBe('bold');
      expect(await reply.textContent()).toContain('word29');
      expect(await page.evaluate(() => (window as { hacked?: number }).hacked)).toBeUndefined();
      await page.context().close();
    });

    it('shows a tool call as a card with its arguments, result and duration', async () => {
      world.fake.enqueue(
        { toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] },
        { text: `Sunny in Oslo. ${words(60)}`, chunkSize: 8, chunkDelayMs: 40 },
      );
      const page = await signedIn(world, keys.alice);
      await send(page, 'Weather in Oslo?');
      const card = page.getByRole('region', { name: 'Tool call get_weather' }).last();
      await expect.poll(() => card.textContent()).toContain('"tempC": 21');
      expect(await card.textContent()).toContain('"city": "Oslo"');
      expect(await card.textContent()).toMatch(/\d+ ms/);
      await page.locator('.bubble.assistant .markdown').last().waitFor();
      await screenshot(page, 'chat'); // mid-stream, with the card
      await expect
        .poll(() => lastStatus(page).textContent(), { timeout: 10_000 })
        .toBe('completed');
      await page.context().close();
    });

    it('approves a paused call in place, and the run finishes', async () => {
      world.fake.enqueue(
        { toolCalls: [{ name: 'send_email', arguments: { to: 'bob@example.com' } }] },
        { text: 'Email sent.' },
      );
      const page = await signedIn(world, keys.alice);
      await send(page, 'Email Bob');
      await expect.poll(() => lastStatus(page).textContent()).toBe('paused');
      expect(world.emails).toEqual([]);
      await page.getByRole('button', { name: 'Approve' }).click();
      await expect.poll(() => lastStatus(page).textContent()).toBe('completed');
      expect(await page.locator('.bubble.assistant').last().textContent()).toContain('Email sent.');
      expect(world.emails).toEqual(['bob@example.com']);
      await page.context().close();
    });

    it('stops a run mid-stream with Stop', async () => {
      world.fake.enqueue({ text: words(200), chunkSize: 4, chunkDelayMs: 40 });
      const page = await signedIn(world, keys.alice);
      await send(page, 'A long answer, please');
      await page.locator('.bubble.assistant .markdown').last().waitFor();
      await page.getByRole('button', { name: 'Stop' }).click();
      await expect.poll(() => lastStatus(page).textContent()).toBe('cancelled');
      const shown = (await page.locator('.bubble.assistant').last().textContent()) ?? '';
      expect(shown).not.toContain('word199');
      await page.context().close();
    });

    it('resumes after a reload mid-stream: the reply completes, exactly once', async () => {
      const text = words(80);
      world.fake.enqueue({ text, chunkSize: 8, chunkDelayMs: 40 });
      const page = await signedIn(world, keys.alice);
      await send(page, 'Count words');
      const reply = page.locator('.bubble.assistant .markdown').last();
      await expect
        .poll(async () => ((await reply.count()) ? await reply.textContent() : ''))
        .toMatch(/word5/);
      expect(await reply.textContent()).not.toContain('word79');
      const resumed: string[] = [];
      page.on('request', (request) => {
        if (request.url().includes('/trpc/runs.events'))
          resumed.push(decodeURIComponent(request.url()));
      });
      await page.reload();
      await expect
        .poll(() => lastStatus(page).textContent(), { timeout: 15_000 })
        .toBe('completed');
      // It asked for the events after the last one it had kept, not for the whole run.
      expect(
        resumed.some(
          (url) => /lastEventId=[\w-]+:\d+/.test(url) || /"lastEventId":"[\w-]+:\d+"/.test(url),
        ),
      ).toBe(true);
      expect(await page.locator('article.exchange').count()).toBe(1);
      expect((await page.locator('.bubble.assistant .markdown').last().textContent())?.trim()).toBe(
        text,
      );
      await page.context().close();
    });

    it('rides out a lost network mid-run, and a second tab follows the same run live', async () => {
      const text = words(60);
      world.fake.enqueue({ text, chunkSize: 8, chunkDelayMs: 50 });
      // Through a proxy that can cut every connection, as a flaky network does.
      const proxy = await createTcpProxy({ port: world.server.port });
      const page = await signedIn(world, keys.alice, proxy.url);
      await send(page, 'Keep going');
      const reply = page.locator('.bubble.assistant .markdown').last();
      await reply.waitFor();
      const second = await signedIn(world, keys.alice);
      await second.goto(page.url().replace(proxy.url, world.server.url));
      const reconnects: string[] = [];
      page.on('request', (request) => {
        const resumeFrom = request.headers()['last-event-id'];
        if (request.url().includes('/trpc/runs.') && resumeFrom) reconnects.push(resumeFrom);
      });
      await expect.poll(async () => (await reply.textContent())?.length ?? 0).toBeGreaterThan(20);
      proxy.dropConnections();
      for (const tab of [page, second]) {
        await expect
          .poll(() => lastStatus(tab).textContent(), { timeout: 15_000 })
          .toBe('completed');
        expect(
          (await tab.locator('.bubble.assistant .markdown').last().textContent())?.trim(),
        ).toBe(text);
      }
      // The stream was cut and picked up again after the last event it had.
      expect(reconnects.length).toBeGreaterThan(0);
      expect(reconnects[0]).toMatch(/^[\w-]+:\d+$/);
      await page.context().close();
      await second.context().close();
      await proxy.close();
    });

    it('attaches an image with the file picker and sends it with the message', async () => {
      world.fake.enqueue({ text: 'A red pixel.' });
      const page = await signedIn(world, keys.alice);
      const png = Buffer.from(
        'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
        'base64',
      );
      await page
        .locator('input[type=file]')
        .setInputFiles({ name: 'pixel.png', mimeType: 'image/png', buffer: png });
      await expect
        .poll(() => page.getByRole('list', { name: 'Attached images' }).textContent())
        .toContain('pixel.png');
      await send(page, 'What is this?');
      await expect.poll(() => lastStatus(page).textContent()).toBe('completed');
      const sent = JSON.stringify(world.fake.completionRequests().at(-1)?.body.messages);
      expect(sent).toContain(`data:image/png;base64,${png.toString('base64')}`);
      expect(await page.locator('.bubble.user').last().textContent()).toContain(
        '1 image(s) attached',
      );
      await page.context().close();
    });

    it('shows reasoning folded, and structured output pretty-printed', async () => {
      world.fake.enqueue({ reasoning: 'Oslo is mild today.', json: { city: 'Oslo', tempC: 21 } });
      const page = await signedIn(world, keys.alice);
      await page.goto(`${world.server.url}/#/chat/extractor`);
      await expect.poll(() => page.locator('#agent-pick').inputValue()).toBe('extractor');
      await send(page, 'Weather in Oslo as data');
      await expect.poll(() => lastStatus(page).textContent()).toBe('completed');
      const reasoning = page.locator('details.reasoning').last();
      expect(await reasoning.getAttribute('open')).toBeNull();
      await reasoning.locator('summary').click();
      expect(await reasoning.textContent()).toContain('Oslo is mild today.');
      const parsed = page.locator('figure.parsed pre').last();
      expect(await parsed.textContent()).toBe(JSON.stringify({ city: 'Oslo', tempC: 21 }, null, 2));
      await page.context().close();
    });
  },
);
