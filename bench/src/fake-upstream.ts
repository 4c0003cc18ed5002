// A fake OpenAI-compatible upstream in its own process, so its CPU time is not
// counted against the client being measured. Every request streams the same
// long answer: CHUNKS chunks of CHUNK_CHARS characters (with usage at the end).
import { createFakeOpenAI } from '@agentrpc/testing';

const chunks = Number(process.env.CHUNKS ?? 10_000);
const chunkChars = Number(process.env.CHUNK_CHARS ?? 4);
const text = 'abcd efgh ijkl mnop '
  .repeat(Math.ceil((chunks * chunkChars) / 20))
  .slice(0, chunks * chunkChars);
const delayMs = Number(process.env.CHUNK_DELAY_MS ?? 0);

const fake = await createFakeOpenAI({
  fallback: () => ({ text, chunkSize: chunkChars, ...(delayMs ? { chunkDelayMs: delayMs } : {}) }),
  maxRecorded: 10,
  // Providers keep connections open for a minute or more; so does this fake,
  // so clients reuse connections as they would in production.
  keepAliveTimeoutMs: 60_000,
});
process.stdout.write(`${fake.baseURL}\n`);
process.on('SIGTERM', () => fake.close().then(() => process.exit(0)));
