import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDockside } from '../../app/runtime.ts';
import { generateScenario } from '../../bench/exceptions/scenario.ts';
import { createLogger, type DetectedException, partitionOf, queryRows } from '../../core/mod.ts';
import { loadPolicy } from '../../core/policy.ts';
import { templatePolicy } from '../helpers/env.ts';
import {
  cleanup,
  comparable,
  connectTest,
  publishAll,
  readExceptions,
  testConfig,
  until,
} from './support/live.ts';
import { replayOffline } from './support/runs.ts';

const POLICY = templatePolicy;

/**
 * The acceptance check for `replay`: the same canonical events through the live pipeline (ingest's
 * publisher → JetStream → detector workers → exceptions stream → ClickHouse) and through `replay` give
 * the same exception set: same ids, same final states (processing-time detectedAt aside).
 */
describe('live pipeline and replay agree', () => {
  const config = testConfig({ POLICY_FILE: POLICY });
  const policy = loadPolicy(config.policyFile);
  const events = generateScenario({
    shipments: 1_500,
    seed: 21,
    ticks: { partitions: config.partitions, partitionOf, afterMs: 30 * 86_400_000 },
  });
  let dockside: Awaited<ReturnType<typeof startDockside>>;

  beforeAll(async () => {
    dockside = await startDockside(config, { logger: createLogger(config), listen: false });
  });
  afterAll(async () => {
    await dockside?.stop();
    const nc = await connectTest();
    await cleanup(nc, config);
    await nc.close();
  });

  it('gives the same exceptions, ids and final states, in the stream and in ClickHouse', async () => {
    const offline = await replayOffline(events, {
      policy,
      partitions: config.partitions,
      allowedLatenessMs: config.allowedLatenessMs,
    });
    expect(offline.summary.exceptions).toBeGreaterThan(500);
    expect(Object.keys(offline.summary.byType).length).toBeGreaterThanOrEqual(12);

    const nc = await connectTest();
    await publishAll(nc, config, events);
    const want = comparable(offline.exceptions);
    let got: string[] = [];
    await until(
      'the exceptions stream to hold the replayed set',
      async () => {
        got = comparable((await readExceptions(nc, config)).finals.values());
        return got.length >= want.length;
      },
      90_000,
    );
    const readout = await readExceptions(nc, config);
    expect(comparable(readout.finals.values())).toEqual(want);
    expect([...readout.perMsgId.values()].every((n) => n === 1)).toBe(true);

    const table = dockside.store.table('exceptions');
    await until('ClickHouse to hold every exception', async () => {
      const [row] = await queryRows<{ n: string }>(dockside.store, `SELECT count() AS n FROM ${table} FINAL`);
      return Number(row?.n) >= want.length;
    });
    const rows = await queryRows<{ id: string; status: string; version: string }>(
      dockside.store,
      `SELECT id, status, version FROM ${table} FINAL ORDER BY id`,
    );
    const byId = new Map(offline.exceptions.map((e: DetectedException) => [e.id, e]));
    expect(rows).toHaveLength(offline.exceptions.length);
    for (const r of rows) {
      expect(byId.get(r.id)?.status).toBe(r.status);
      expect(byId.get(r.id)?.version).toBe(Number(r.version));
    }
    await nc.close();
  });
});
