// `pnpm --filter @agentrpc/bench bench:history`: a session's 1,000th run against
// its first on each store (MongoStore when MONGODB_URL is set), and a run with
// many other sessions in the store against one without, written to its section
// of bench/RESULTS.md.
import { cpus } from 'node:os';
import { measureHistoryScaling } from './history-scaling.ts';
import { writeResultsSection } from './results-file.ts';
import { measureSessionsScaling } from './sessions-scaling.ts';

const runs = Number(process.env.RUNS ?? 1000);
const rounds = Math.max(1, Number(process.env.ROUNDS ?? 3));
const sessions = Number(process.env.SESSIONS ?? 1000);
const figures = await measureHistoryScaling(runs, rounds);
const bySessions = await measureSessionsScaling({ sessions, runs: 40 });
const mongo = process.env.MONGODB_URL;
const section = [
  '',
  '## A session’s 1,000th run, per store (`bench:history`)',
  '',
  `Measured ${new Date().toISOString()} on ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores: one session, ${runs} runs in a row`,
  'with the offline demo model, `numHistoryRuns: 3`; median run time of runs 2–21 against the last 20,',
  `in ${rounds} rounds per store, each on a fresh store: the round with the median ratio, and every round's ratio.`,
  mongo
    ? 'MongoStore on the MongoDB-wire server at MONGODB_URL (FerretDB 1.24 on SQLite as `scripts/ferretdb.sh` starts it), a new database.'
    : 'MongoStore left out: MONGODB_URL was not set (`scripts/ferretdb.sh start 27017` starts FerretDB).',
  '',
  '| store | first runs ms | last runs ms | ratio | every round |',
  '| --- | ---: | ---: | ---: | --- |',
  ...figures.map(
    (f) =>
      `| ${f.store} | ${f.firstMs.toFixed(2)} | ${f.thousandthMs.toFixed(2)} | ${(f.thousandthMs / f.firstMs).toFixed(2)} | ${f.ratios.map((r) => r.toFixed(2)).join(', ')} |`,
  ),
  '',
  'Target: the last runs ≤ 1.2× the first on every store. What keeps MongoStore flat on FerretDB 1.x,',
  'which scans a collection for every read and update (only inserts use its indexes): a run is updated',
  'only while it is pending, running or paused, in `active_runs`, which holds the runs in flight; it',
  'moves to `runs` when it ends and is not updated there; `run_ids` keeps run ids unique across the',
  'two; and the history window (the ids of the last 50 completed runs, copies of the newest 10 within',
  '256 KiB) is on the session document, one read by _id. Nothing a run does reads or updates a',
  'collection that grows with the session (sessions grow with the number of sessions, not of runs).',
  '',
  `The same stores, a run (median of 40, every other one in a new session) with only its user’s`,
  `sessions in the store, then with ${sessions.toLocaleString('en')} more sessions of 100 other users:`,
  '',
  '| store | runs ms, few sessions | runs ms, many sessions | ratio |',
  '| --- | ---: | ---: | ---: |',
  ...bySessions.map(
    (f) =>
      `| ${f.store} | ${f.fewMs.toFixed(2)} | ${f.manyMs.toFixed(2)} | ${(f.manyMs / f.fewMs).toFixed(2)} |`,
  ),
  '',
  'A run reads and updates its session by _id (its lease, its history window, its totals). FerretDB 1.x',
  'answers a read or update by _id by testing every document of the collection (on SQLite in its own',
  'process, on PostgreSQL with JSON containment, which its indexes cannot serve), so there each run',
  'costs more as the store holds more sessions, whoever they belong to; MongoDB, and the other',
  'stores, look the session up by index.',
  '',
  'Rerun: `MONGODB_URL=mongodb://… pnpm --filter @agentrpc/bench bench:history` (RUNS, ROUNDS, SESSIONS).',
  '',
].join('\n');
console.log(section);
writeResultsSection('## A session’s 1,000th run, per store', section);
