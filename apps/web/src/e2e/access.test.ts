// Who sees what, in a real browser: sign-in, another user's session URL,
// deleting a session, editing a memory, and the admin's read-only view.
import { describe, expect, it } from 'vitest';
import { keys, lastStatus, missing, send, signedIn, useConsoleWorld } from './console-fixture.ts';

describe.skipIf(missing !== undefined)(
  `access in chromium${missing ? `: skipped, ${missing}` : ''}`,
  () => {
    const world = useConsoleWorld();

    it('signs in with a key, and says so when the key is wrong', async () => {
      const context = await world.browser.newContext();
      const page = await context.newPage();
      await page.goto(world.server.url);
      await page.getByLabel('API key or JWT').fill('not-a-key');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect.poll(() => page.getByRole('alert').textContent()).toContain('did not accept');
      await page.getByLabel('API key or JWT').fill(keys.bob);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect.poll(() => page.locator('.who').textContent()).toContain('bob');
      // The credential is in sessionStorage, never in the URL.
      expect(page.url()).not.toContain(keys.bob);
      await page.reload();
      await expect.poll(() => page.locator('.who').textContent()).toContain('bob');
      await context.close();
    });

    it("keeps a user's session from another user who has its URL", async () => {
      world.fake.enqueue({ text: 'alice secret answer' });
      const alice = await signedIn(world, keys.alice);
      await send(alice, 'my private question');
      await expect.poll(() => lastStatus(alice).textContent()).toBe('completed');
      const url = alice.url();
      expect(url).toMatch(/#\/chat\/assistant\/[\w-]+$/);
      const bob = await signedIn(world, keys.bob);
      await bob.goto(url);
      await expect
        .poll(() => bob.getByRole('alert').first().textContent())
        .toContain('Session not found');
      expect(await bob.content()).not.toContain('alice secret answer');
      expect(await bob.content()).not.toContain('my private question');
      await alice.context().close();
      await bob.context().close();
    });

    it('deletes a session after a confirm', async () => {
      world.fake.enqueue({ text: 'short-lived' });
      const page = await signedIn(world, keys.bob);
      await send(page, 'delete me later');
      await expect.poll(() => lastStatus(page).textContent()).toBe('completed');
      const sessionId = page.url().split('/').at(-1) ?? '';
      const item = page.locator('.session-list li', { hasText: 'delete me later' });
      await item.getByRole('button', { name: 'Delete' }).click();
      expect(await world.store.getSession({ userId: 'bob', sessionId })).not.toBeNull();
      await item.getByRole('button', { name: /Delete “/ }).click();
      await expect.poll(() => item.count()).toBe(0);
      expect(await world.store.getSession({ userId: 'bob', sessionId })).toBeNull();
      await page.context().close();
    });

    it('edits a memory', async () => {
      const now = Date.now();
      await world.store.createMemory({
        memoryId: 'm-1',
        userId: 'bob',
        memory: 'Bob likes tea',
        topics: ['drinks'],
        createdAt: now,
        updatedAt: now,
      });
      const page = await signedIn(world, keys.bob);
      await page.getByRole('link', { name: 'Memories' }).click();
      const field = page.getByLabel('Memory', { exact: true });
      await expect.poll(() => field.inputValue()).toBe('Bob likes tea');
      await field.fill('Bob likes green tea');
      await page.getByRole('button', { name: 'Save' }).click();
      await expect
        .poll(async () => (await world.store.listMemories({ userId: 'bob' }))[0]?.memory)
        .toBe('Bob likes green tea');
      await page.context().close();
    });

    it("shows an admin the server's live totals and another user's sessions, read-only", async () => {
      world.fake.enqueue({ text: 'for the admin to see' });
      const bob = await signedIn(world, keys.bob);
      expect(await bob.getByRole('link', { name: 'Admin' }).count()).toBe(0);
      await send(bob, 'bob asks');
      await expect.poll(() => lastStatus(bob).textContent()).toBe('completed');
      const alice = await signedIn(world, keys.alice);
      await alice.getByRole('link', { name: 'Admin' }).click();
      await expect
        .poll(() => alice.locator('dl.facts').first().textContent())
        .toContain('completed');
      await alice.getByLabel('User id').fill('bob');
      await alice.getByRole('button', { name: 'Browse' }).click();
      await alice.getByRole('link', { name: /bob asks/ }).click();
      await expect
        .poll(() => alice.locator('.bubble.assistant').last().textContent())
        .toContain('for the admin to see');
      expect(await alice.getByRole('button', { name: 'Stop' }).count()).toBe(0);
      await alice.context().close();
      await bob.context().close();
    });
  },
);
