// Store conformance, user memories: create, list newest first, update and
// delete; each user's own.
import { describe, expect, it } from 'vitest';
import type { Memory } from '../session/types.ts';
import type { Store } from '../store/types.ts';
import { uid } from './store-fixtures.ts';

/** The cases of this part; `setup` gives the suite's store. */
export function memoryCases(setup: () => Promise<Store>): void {
  describe('memories', () => {
    it("creates, lists, updates and deletes a user's memories, and only theirs", async () => {
      const s = await setup();
      const userId = uid('u');
      const now = Date.now();
      const memory: Memory = {
        memoryId: uid('m'),
        userId,
        memory: 'likes tea',
        topics: ['drinks'],
        agentId: 'a',
        createdAt: now,
        updatedAt: now,
      };
      const other: Memory = {
        ...memory,
        memoryId: uid('m'),
        memory: 'lives in Oslo',
        topics: [],
        agentId: 'b',
        updatedAt: now + 1,
      };
      await s.createMemory(memory);
      await s.createMemory(other);
      await expect(s.createMemory(memory)).rejects.toMatchObject({ code: 'CONFLICT' });
      expect((await s.listMemories({ userId })).map((m) => m.memoryId)).toEqual([
        other.memoryId,
        memory.memoryId,
      ]);
      expect((await s.listMemories({ userId, agentId: 'a' })).map((m) => m.memoryId)).toEqual([
        memory.memoryId,
      ]);
      const updated = await s.updateMemory(
        { userId, memoryId: memory.memoryId },
        { memory: 'likes green tea' },
      );
      expect(updated).toMatchObject({ memory: 'likes green tea', topics: ['drinks'] });
      const stranger = { userId: uid('stranger'), memoryId: memory.memoryId };
      await expect(s.updateMemory(stranger, { memory: 'x' })).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      expect(await s.deleteMemory(stranger)).toBe(false);
      expect(await s.listMemories({ userId: stranger.userId })).toEqual([]);
      expect(await s.deleteMemory({ userId, memoryId: memory.memoryId })).toBe(true);
      expect((await s.listMemories({ userId })).map((m) => m.memoryId)).toEqual([other.memoryId]);
    });
  });
}
