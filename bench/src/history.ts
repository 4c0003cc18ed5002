// `pnpm --filter @agentrpc/bench bench:history`: a session's 1,000th run against
// its first on each store (MongoStore when MONGODB_URL is set), printed as a table.
import { measureHistoryScaling } from './history-scaling.ts';

const figures = await measureHistoryScaling(Number(process.env.RUNS ?? 1000));
console.log('| store | first runs ms | 1,000th runs ms | ratio |');
console.log('| --- | ---: | ---: | ---: |');
for (const f of figures) {
  console.log(
    `| ${f.store} | ${f.firstMs.toFixed(2)} | ${f.thousandthMs.toFixed(2)} | ${(f.thousandthMs / f.firstMs).toFixed(2)} |`,
  );
}
