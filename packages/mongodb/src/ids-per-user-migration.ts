// Moves a database to the current document ids (doc-ids.ts): from before ids
// were per user (sessions and runs had their own id as _id, events
// `runId:seq` with a unique index on (runId, seq)), and from the first
// per-user form, `${userId}\0${id}`. Each document is copied under its new _id
// and the old one removed; every step can be repeated (migrations.ts).
import type { Collection, Db, Document } from 'mongodb';
import { docId, eventDocId } from './doc-ids.ts';
import { isDuplicateKey } from './mongo-errors.ts';

type AnyDoc = Document & { _id: string };

async function rewrite(collection: Collection<AnyDoc>, idOf: (doc: AnyDoc) => string) {
  for await (const doc of collection.find({})) {
    const id = idOf(doc);
    if (doc._id === id) continue;
    try {
      await collection.insertOne({ ...doc, _id: id });
    } catch (error) {
      if (!isDuplicateKey(error)) throw error; // copied already
    }
    await collection.deleteOne({ _id: doc._id });
  }
}

export async function migrateToIdsPerUser(db: Db, prefix: string): Promise<void> {
  const events = db.collection<AnyDoc>(`${prefix}events`);
  // The old unique index would refuse an event's copy beside its original.
  const indexes = await events.indexes().catch(() => []);
  if (indexes.some((index) => index.name === 'runId_1_seq_1'))
    await events.dropIndex('runId_1_seq_1');
  await rewrite(db.collection<AnyDoc>(`${prefix}sessions`), (doc) =>
    docId(doc.userId, doc.sessionId),
  );
  await rewrite(db.collection<AnyDoc>(`${prefix}runs`), (doc) => docId(doc.userId, doc.runId));
  await rewrite(events, (doc) => eventDocId(doc.userId, doc.runId, doc.seq));
}
