import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpsAnswer } from '../../dashboards/ops.ts';
import {
  consumerHealth,
  forecastHealth,
  natsHealth,
  partitionHealth,
  RTT_WARN_MS,
  worst,
  writebackHealth,
} from '../../dashboards/ops-status.ts';
import { detectorNames } from '../../exceptions/mod.ts';
import { startTestDockside, type TestDockside } from '../helpers/dockside.ts';
import { waitFor } from '../helpers/wait.ts';
import { TEMPLATE_POLICY } from '../helpers/writeback-world.ts';

/**
 * GET /api/ops on a whole Dockside (real NATS, embedded ClickHouse): the running durable consumers with
 * their lag (and a consumer made here that falls behind by exactly what is published), every detector and
 * write-back partition with its owner, and dead-letter counts equal to what was sent to be parked.
 */

describe('operations verdicts', () => {
  it('turns figures into red, amber and green with a sentence', () => {
    expect(consumerHealth({ pending: 0, ackPending: 0 })).toEqual({ status: 'ok', text: 'caught up' });
    expect(consumerHealth({ pending: 900, ackPending: 200 }).status).toBe('warn');
    expect(consumerHealth({ pending: 100_000, ackPending: 0 }).status).toBe('bad');
    expect(partitionHealth(8, 8).status).toBe('ok');
    expect(partitionHealth(5, 8)).toEqual({ status: 'warn', text: '3 of 8 partitions without an owner' });
    expect(partitionHealth(0, 8).status).toBe('bad');
    const h = 3_600_000;
    expect(forecastHealth(null, 6 * h, 0).status).toBe('warn');
    expect(forecastHealth(0, 6 * h, 5 * h)).toEqual({ status: 'ok', text: 'last run 5 h ago' });
    expect(forecastHealth(0, 6 * h, 13 * h).status).toBe('warn');
    expect(writebackHealth({ backlog: 0, failed: 1, held: 0 }).status).toBe('bad');
    expect(writebackHealth({ backlog: 0, failed: 0, held: 0 }).status).toBe('ok');
    expect(natsHealth({ connected: true, rttMs: 3 })).toEqual({
      status: 'ok',
      text: 'connected, round trip 3 ms',
    });
    expect(natsHealth({ connected: true, rttMs: RTT_WARN_MS + 1 }).status).toBe('warn');
    expect(natsHealth({ connected: false, rttMs: null }).status).toBe('bad');
    expect(worst(['ok', 'warn', 'ok'])).toBe('warn');
    expect(worst(['warn', 'bad'])).toBe('bad');
  });
});

describe('GET /api/ops', () => {
  let t: TestDockside;
  let nc: NatsConnection;

  beforeAll(async () => {
    t = await startTestDockside('ops', { DOCKSIDE_PARTITIONS: '4', POLICY_FILE: TEMPLATE_POLICY });
    nc = await connect({ servers: t.dockside.config.natsUrl });
  });
  afterAll(async () => {
    await nc?.close();
    await t?.close();
  });

  const ops = async (role = 'admin'): Promise<OpsAnswer> => {
    const res = await t.inject({ method: 'GET', url: '/api/ops' }, role);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<OpsAnswer>();
  };

  it('NATS and ClickHouse are healthy, with the connected server, its round trip and the storage mode', async () => {
    const o = await ops();
    expect(o.nats).toMatchObject({ connected: true, jetstream: true });
    expect(o.nats.server).toMatch(/127\.0\.0\.1:4222|localhost:4222/);
    expect(o.nats.rttMs).toEqual(expect.any(Number));
    // Green unless this host was slow at that moment: then amber, as the verdict says (tested above).
    expect(o.nats.status).toBe((o.nats.rttMs ?? 0) > RTT_WARN_MS ? 'warn' : 'ok');
    expect(o.clickhouse).toMatchObject({ status: 'ok', ok: true, mode: 'embedded' });
    expect(o.clickhouse.target).toMatch(/embedded chDB/);
    expect(o.components.map((c) => c.name)).toEqual([
      'nats',
      'clickhouse',
      'consumers',
      'dead_letters',
      'detector_partitions',
      'writeback_partitions',
      'forecast',
      'writeback',
    ]);
    // The scheduler is off in tests and nothing was forecast: amber, saying why.
    expect(o.forecast).toMatchObject({ status: 'warn', lastRun: null, intervalMs: 0 });
    expect(o.forecast.text).toMatch(/scheduler is off/);
  });

  it('every partition of the detector and of write-back has an owner', async () => {
    const o = await waitFor('all partitions owned', async () => {
      const a = await ops();
      return a.partitions.every((p) => p.owned === 4) ? a : undefined;
    });
    const [detector, writeback] = o.partitions;
    expect(detector).toMatchObject({
      name: 'detector',
      status: 'ok',
      count: 4,
      bucket: detectorNames(t.prefix, t.dockside.names).leaseBucket,
    });
    expect(writeback).toMatchObject({
      name: 'writeback',
      status: 'ok',
      count: 4,
      bucket: t.dockside.names.kvBucket('wb_leases'),
    });
    for (const p of o.partitions) {
      expect(p.owners.map((x) => x.partition)).toEqual([0, 1, 2, 3]);
      // One process: one worker owns them all, and it announced itself.
      const owners = new Set(p.owners.map((x) => x.owner));
      expect(owners.size).toBe(1);
      expect(p.workers.map((w) => w.id)).toEqual([...owners]);
    }
  });

  it('lists the running durable consumers with their lag, and one that falls behind by what was published', async () => {
    const names = t.dockside.names;
    const jsm = await jetstreamManager(nc);
    const idle = names.consumer('ops_test_idle');
    await jsm.consumers.add(names.eventsStream, { durable_name: idle, ack_policy: AckPolicy.Explicit });
    const events = Array.from({ length: 7 }, (_, i) => ({
      id: `ops-ev-${i}`,
      type: 'wms.pack',
      occurredAt: new Date().toISOString(),
      shipmentId: `OPS-${i}`,
      warehouseId: 'WH-1',
    }));
    const res = await t.inject({ method: 'POST', url: '/api/events', payload: events }, 'ingest');
    expect(res.json<{ accepted: number }>().accepted).toBe(7);

    const o = await waitFor('the event sink caught up and the idle consumer 7 behind', async () => {
      const a = await ops();
      const sink = a.consumers.find(
        (c) => c.stream === names.eventsStream && c.name === names.consumer('events_sink'),
      );
      const lagging = a.consumers.find((c) => c.name === idle);
      return sink?.deliveredSeq === sink?.streamLastSeq && sink?.ackPending === 0 && lagging?.pending === 7
        ? a
        : undefined;
    });
    const byName = new Map(o.consumers.map((c) => [c.name, c]));
    expect(byName.get(idle)).toMatchObject({
      stream: names.eventsStream,
      pending: 7,
      ackPending: 0,
      deliveredSeq: 0,
      streamLastSeq: 7,
      status: 'ok',
      text: '7 in flight',
    });
    expect(byName.get(names.consumer('events_sink'))).toMatchObject({
      pending: 0,
      deliveredSeq: 7,
      status: 'ok',
    });
    // The running pipeline's durables on the core streams are all there.
    const streams = new Set(o.consumers.map((c) => c.stream));
    for (const s of [
      names.ingestStream,
      names.eventsStream,
      names.exceptionsStream,
      names.deadLetterStream,
    ]) {
      expect(streams.has(s), s).toBe(true);
    }
    expect(byName.has(names.consumer('ingest'))).toBe(true);
    expect(byName.has(names.consumer('exceptions_sink'))).toBe(true);
    // Write-back's outbox is among them, and its backlog is summed on its own line.
    expect(o.writeback.outboxBacklog).toEqual(expect.any(Number));
    expect(o.writeback.failedWrites).toBe(0);
    // Another prefix's streams on the same server are not listed.
    expect(o.consumers.every((c) => c.stream.startsWith(`${names.streamPrefix}_`))).toBe(true);
  });

  it('counts dead letters by source and code as parked, with a link to their list', async () => {
    const js = jetstream(nc);
    const names = t.dockside.names;
    for (let i = 0; i < 3; i++) await js.publish(names.ingestSubject('wms', 'wms.pick'), `not json ${i}`);
    for (let i = 0; i < 2; i++) {
      await js.publish(
        names.ingestSubject('tms', 'tms.status'),
        JSON.stringify({ id: `ops-bad-${i}`, type: 'tms.status', occurredAt: new Date().toISOString() }),
      );
    }
    const o = await waitFor('five dead letters', async () => {
      const a = await ops();
      return a.deadLetters.total === 5 ? a : undefined;
    });
    expect(o.deadLetters).toMatchObject({ status: 'warn', last24h: 5, link: '/api/dead-letters' });
    const groups = o.deadLetters.groups;
    expect(groups.map((g) => [g.source, g.code, g.count])).toEqual([
      ['nats:wms', 'EVENT_NOT_JSON', 3],
      ['nats:tms', expect.any(String), 2],
    ]);
    for (const g of groups) {
      expect(g.link).toBe(`/api/dead-letters?source=${encodeURIComponent(g.source)}&code=${g.code}`);
      const list = await t.inject({ method: 'GET', url: g.link });
      expect(list.statusCode).toBe(200);
      expect(list.json<{ items: unknown[] }>().items).toHaveLength(g.count);
    }
  });

  it('is for the roles that read data quality; others are refused', async () => {
    for (const role of ['warehouse_supervisor', 'ops_exception_lead', 'admin']) {
      expect((await t.inject({ method: 'GET', url: '/api/ops' }, role)).statusCode, role).toBe(200);
    }
    for (const role of ['account_owner', 'planner', 'ingest']) {
      expect((await t.inject({ method: 'GET', url: '/api/ops' }, role)).statusCode, role).toBe(403);
    }
    expect((await t.dockside.server.inject({ method: 'GET', url: '/api/ops' })).statusCode).toBe(401);
  });
});
