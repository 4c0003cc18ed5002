// Document ids of sessions, runs and events: ids are per user (two users may
// hold the same session or run id), so each _id carries its user. Reads stay by
// _id, the one lookup every MongoDB-wire server serves from an index. The user
// goes first with its length, so no user id can be mistaken for another's and
// the _id stays printable: servers on PostgreSQL (FerretDB, DocumentDB) refuse
// strings holding NUL, which an earlier `${userId}\0${id}` form did.

/** The _id of a user's session or run (or cached response). */
export function docId(userId: string, id: string): string {
  return `${userId.length}:${userId}:${id}`;
}

/** The _id of one event of a user's run. */
export function eventDocId(userId: string, runId: string, seq: number): string {
  return `${docId(userId, runId)}:${seq}`;
}
