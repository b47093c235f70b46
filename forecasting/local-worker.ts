import { parentPort, workerData } from 'node:worker_threads';
import { z } from 'zod';
import { type LocalJob, runLocalJob } from './local-fit.ts';
import { LOCAL_MODELS, localModel } from './models/registry.ts';

/**
 * Worker-thread side of worker-pool.ts: builds the per-lane models from their names, then answers each
 * batch of lanes with their forecasts. Messages are structured clones, checked with zod on arrival.
 */
const init = z.object({
  models: z.array(z.enum(LOCAL_MODELS)),
  fitWindow: z.number().int().min(0),
  horizon: z.number().int().positive(),
  levels: z.array(z.number()),
});
const batch = z.object({
  batch: z.number().int(),
  jobs: z.array(
    z.object({
      index: z.number().int(),
      start: z.number().int(),
      values: z.instanceof(Float64Array),
      regressors: z.record(z.string(), z.instanceof(Float64Array)),
      lengths: z.array(z.number().int()),
    }),
  ),
});

const setup = init.parse(workerData);
const models = setup.models.map((name) => localModel(name, { fitWindow: setup.fitWindow }));
const port = parentPort;
port?.on('message', (message: unknown) => {
  const { batch: id, jobs } = batch.parse(message);
  const results = jobs.map((job: LocalJob) => runLocalJob(job, models, setup.horizon, setup.levels));
  port.postMessage({ batch: id, results });
});
port?.postMessage({ ready: true });
