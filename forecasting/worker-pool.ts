import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { z } from 'zod';
import type { LocalRunner } from './backtest.ts';
import type { LocalResult } from './local-fit.ts';
import type { LocalModelName } from './models/registry.ts';

/**
 * Spreads the per-lane models over worker threads: lanes are independent, and the augurs fits dominate a
 * backtest's cost. Workers take batches of lanes as they become free, so a batch of slow lanes does not
 * hold the others back. Workers live for one run; each loads the TypeScript sources through tsx.
 */
export interface WorkerPoolOptions {
  readonly threads: number;
  readonly models: readonly LocalModelName[];
  readonly fitWindow: number;
  readonly lanesPerBatch?: number;
}

const forecastSchema = z.object({
  mean: z.instanceof(Float64Array),
  intervals: z.array(
    z.object({ level: z.number(), lower: z.instanceof(Float64Array), upper: z.instanceof(Float64Array) }),
  ),
  fallback: z.string().optional(),
});
const reply = z.union([
  z.object({ ready: z.literal(true) }),
  z.object({
    batch: z.number(),
    results: z.array(
      z.object({ index: z.number(), forecasts: z.array(z.record(z.string(), forecastSchema)) }),
    ),
  }),
]);

// Runs in the worker before anything else: registers tsx so the worker can import .ts files.
const BOOTSTRAP = `const { workerData } = require('node:worker_threads');
import(workerData.tsx)
  .then((m) => (m.register ?? m.default.register)())
  .then(() => import(workerData.entry));`;

/** The ESM build of tsx's register API (its CommonJS build cannot register ESM hooks in a worker). */
function tsxApiUrl(): string {
  if (typeof import.meta.resolve === 'function') return import.meta.resolve('tsx/esm/api');
  // Test runners that lack import.meta.resolve: the require condition points at the .cjs twin.
  return pathToFileURL(
    createRequire(import.meta.url)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
}

export function workerRunner(opts: WorkerPoolOptions): LocalRunner {
  return (jobs, horizon, levels, onDone) =>
    new Promise<LocalResult[]>((resolve, reject) => {
      const per = opts.lanesPerBatch ?? 4;
      const batches = Array.from({ length: Math.ceil(jobs.length / per) }, (_, i) =>
        jobs.slice(i * per, (i + 1) * per),
      );
      const results: LocalResult[] = [];
      let next = 0;
      let pending = batches.length;
      const workers: Worker[] = [];
      let failed = false;
      const finish = (err?: unknown) => {
        if (failed) return;
        if (err) failed = true;
        if (err || pending === 0) {
          for (const w of workers) void w.terminate();
          if (err) reject(err);
          else resolve(results.sort((a, b) => a.index - b.index));
        }
      };
      if (pending === 0) return resolve([]);
      const workerData = {
        tsx: tsxApiUrl(),
        entry: new URL('./local-worker.ts', import.meta.url).href,
        models: [...opts.models],
        fitWindow: opts.fitWindow,
        horizon,
        levels: [...levels],
      };
      const feed = (w: Worker) => {
        const id = next++;
        const b = batches[id];
        if (b) w.postMessage({ batch: id, jobs: b });
      };
      const threads = Math.max(1, Math.min(opts.threads, batches.length));
      for (let i = 0; i < threads; i++) {
        const w = new Worker(BOOTSTRAP, { eval: true, workerData });
        workers.push(w);
        w.on('error', (err) => finish(err));
        w.on('exit', (code) => {
          if (code !== 0 && pending > 0) finish(new Error(`forecast worker exited with code ${code}`));
        });
        w.on('message', (message: unknown) => {
          const parsed = reply.safeParse(message);
          if (!parsed.success) return finish(parsed.error);
          if ('results' in parsed.data) {
            results.push(...parsed.data.results);
            onDone(parsed.data.results.length);
            pending--;
            if (pending === 0) return finish();
          }
          feed(w);
        });
      }
    });
}
