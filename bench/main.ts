import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `npm run bench [-- NAME...]`: runs the named benchmarks (all when none is named), each as its own
 * process so peak RSS and timings are not shared. Each writes its JSON under bench/results/.
 */
const benches: Record<string, string> = {
  ingest: 'ingest.ts',
  'hot-path': 'hot-path.ts',
  writeback: 'writeback.ts',
  'forecast-backtest': 'forecast-backtest.ts',
  'forecast-olist': 'forecast-olist.ts',
  'forecast-api': 'forecast-api.ts',
  board: 'board.ts',
};

const here = path.dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const flags = process.argv.slice(2).filter((a) => a.startsWith('-'));
const unknown = wanted.filter((w) => !(w in benches));
if (unknown.length) {
  console.error(
    `unknown benchmark(s): ${unknown.join(', ')}; expected any of ${Object.keys(benches).join(', ')}`,
  );
  process.exit(2);
}
let failed = 0;
for (const name of wanted.length ? wanted : Object.keys(benches)) {
  const file = path.join(here, benches[name] ?? '');
  if (!existsSync(file)) {
    console.error(`bench ${name}: ${file} is missing`);
    failed++;
    continue;
  }
  console.error(`\n== bench ${name}`);
  const r = spawnSync(process.execPath, [path.join(here, '../bin/run-ts.js'), file, ...flags], {
    stdio: 'inherit',
  });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
