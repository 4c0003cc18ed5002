// A user's memories: one document each, by memory id, always read and written
// with the user in the filter (memory ids are global, the user is checked).
import { AgentRpcError, type Memory, type MemoryPatch, type MemoryQuery } from '@agentrpc/core';
import { clampLimit } from '@agentrpc/core/internal';
import type { Filter } from 'mongodb';
import { type Collections, type Doc, strip, wholeBatch } from './collections.ts';
import { isDuplicateKey } from './mongo-errors.ts';

type MemoryKey = { userId: string; memoryId: string };

/** Throws CONFLICT when a memory with this id exists. */
export async function insertMemory(c: Collections, memory: Memory): Promise<void> {
  try {
    await c.memories.insertOne({ ...structuredClone(memory), _id: memory.memoryId });
  } catch (error) {
    if (isDuplicateKey(error))
      throw new AgentRpcError('CONFLICT', `memory ${memory.memoryId} exists`);
    throw error;
  }
}

/** The user's memories, newest first. */
export async function findMemories(c: Collections, query: MemoryQuery): Promise<Memory[]> {
  const filter: Filter<Doc<Memory>> = { userId: query.userId };
  if (query.agentId) filter.agentId = query.agentId;
  const limit = clampLimit(query.limit, 100, 1000);
  const docs = await c.memories
    .find(filter, wholeBatch(limit))
    .sort({ updatedAt: -1, _id: -1 })
    .limit(limit)
    .toArray();
  return docs.map((d) => strip(d) as Memory);
}

/** NOT_FOUND when the user has no such memory. */
export async function patchMemory(
  c: Collections,
  key: MemoryKey,
  patch: MemoryPatch,
): Promise<Memory> {
  const doc = await c.memories.findOneAndUpdate(
    { _id: key.memoryId, userId: key.userId },
    { $set: { ...structuredClone(patch), updatedAt: Date.now() } },
    { returnDocument: 'after' },
  );
  if (!doc) throw new AgentRpcError('NOT_FOUND', `memory ${key.memoryId} not found`);
  return strip(doc) as Memory;
}

export async function deleteMemoryDoc(c: Collections, key: MemoryKey): Promise<boolean> {
  return (await c.memories.deleteOne({ _id: key.memoryId, userId: key.userId })).deletedCount > 0;
}
