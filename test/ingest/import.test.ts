import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type CanonicalEvent,
  deleteStreams,
  loadConfig,
  RetryableError,
  streamNames,
} from '../../core/mod.ts';
import { convertFiles } from '../../ingest/convert.ts';
import { parseZone } from '../../ingest/files/local-time.ts';
import { importConverted } from '../../ingest/importer.ts';
import { ProgressBar } from '../../ingest/progress.ts';
import { uniquePrefix } from '../helpers/env.ts';
import { fixtures } from './support/paths.ts';
import { runCli } from './support/run-cli.ts';

const prefix = uniquePrefix('ing');
const config = loadConfig({}, { DOCKSIDE_PREFIX: prefix });
const names = streamNames(prefix);
const env = { DOCKSIDE_PREFIX: prefix, NATS_URL: config.natsUrl };
const tmp = mkdtempSync(path.join(tmpdir(), 'dockside-import-'));
let nc: NatsConnection;

const summarySchema = z.object({
  files: z.array(z.string()),
  accepted: z.number(),
  duplicate: z.number(),
  rejected: z.number(),
  byType: z.record(z.string(), z.number()),
  eventsStream: z.string(),
  deadLetterStream: z.string(),
});

beforeAll(async () => {
  nc = await connect({ servers: [...config.natsServers] });
});
afterAll(async () => {
  await deleteStreams(nc, names);
  await nc.drain();
  rmSync(tmp, { recursive: true, force: true });
});

async function messagesIn(stream: string): Promise<number> {
  const jsm = await jetstreamManager(nc);
  return (await jsm.streams.info(stream)).state.messages;
}

describe('dockside import (JetStream)', () => {
  it('importing the same files twice publishes each event once; the rejection is dead-lettered once', async () => {
    const ndjson = path.join(tmp, 'events.ndjson');
    const pods = [1, 2, 3, 4, 5].map((i) =>
      JSON.stringify({
        id: `imp-pod-${i}`,
        type: 'tms.pod',
        occurredAt: '2024-03-05T10:00:00Z',
        shipmentId: `S-${i}`,
      }),
    );
    writeFileSync(ndjson, `${pods.join('\n')}\n{"id":"broken"\n`);
    // 214 fixture: 9 AT7 statuses; 945 fixture: 1 ship scan + 3 W12 picks; NDJSON: 5 events + 1 broken line.
    const files = [
      path.join(fixtures, 'x12/214-tilde.edi'),
      path.join(fixtures, 'x12/945-short-ship.edi'),
      ndjson,
    ];

    const first = await runCli(['import', '--json', ...files], env);
    expect(first.code).toBe(2);
    const s1 = summarySchema.parse(JSON.parse(first.stdout));
    expect(s1).toMatchObject({ accepted: 18, duplicate: 0, rejected: 1, eventsStream: names.eventsStream });
    expect(s1.byType).toEqual({ 'tms.status': 9, 'wms.ship_scan': 1, 'wms.pick': 3, 'tms.pod': 5 });
    expect(first.stderr).toMatch(/"position":"line 6".*"code":"JSON_INVALID"/);

    const second = await runCli(['import', '--json', ...files], env);
    const s2 = summarySchema.parse(JSON.parse(second.stdout));
    expect(s2).toMatchObject({ accepted: 0, duplicate: 18, rejected: 1 });

    expect(await messagesIn(names.eventsStream)).toBe(18);
    expect(await messagesIn(names.deadLetterStream)).toBe(1);
  });

  it('the dead letter names the file, position, code and reason, with the raw line', async () => {
    const jsm = await jetstreamManager(nc);
    const msg = await jsm.streams.getMessage(names.deadLetterStream, { seq: 1 });
    const dl = z
      .looseObject({
        source: z.string(),
        position: z.string(),
        code: z.string(),
        reason: z.string(),
        raw: z.string(),
      })
      .parse(msg?.json());
    expect(dl).toEqual({
      source: 'file:events.ndjson',
      position: 'line 6',
      code: 'JSON_INVALID',
      reason: expect.stringMatching(/^line 6: not valid JSON/),
      raw: '{"id":"broken"',
      id: expect.any(String),
      receivedAt: expect.any(String),
    });
  });

  it('imports a directory as the files under it (here: nothing new, every event a duplicate)', async () => {
    const dir = path.join(tmp, 'drop');
    mkdirSync(path.join(dir, 'carrier'), { recursive: true });
    copyFileSync(path.join(fixtures, 'x12/945-short-ship.edi'), path.join(dir, '945.edi'));
    copyFileSync(path.join(fixtures, 'x12/214-tilde.edi'), path.join(dir, 'carrier', '214.edi'));
    const run = await runCli(['import', '--json', dir], env);
    expect(run.code).toBe(0);
    expect(summarySchema.parse(JSON.parse(run.stdout))).toMatchObject({
      // path order: "945.edi" sorts before "carrier/"
      files: [path.join(dir, '945.edi'), path.join(dir, 'carrier', '214.edi')],
      accepted: 0,
      duplicate: 13,
      rejected: 0,
    });
  });

  it('prints a human summary without --json, and exits 0 when nothing was rejected', async () => {
    const run = await runCli(['import', path.join(fixtures, 'x12/945-short-ship.edi')], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      new RegExp(`^imported 1 file\\(s\\) into ${names.eventsStream}: accepted 0, duplicate 4, rejected 0`),
    );
  });
});

describe('importConverted', () => {
  it('stops at the first publish failure and reports it', async () => {
    const results = convertFiles([path.join(fixtures, 'x12/945-short-ship.edi')], {
      format: 'auto',
      localZone: parseZone('UTC'),
    });
    let calls = 0;
    const sink = {
      publish: async (e: CanonicalEvent) => {
        calls++;
        if (calls === 2) throw new RetryableError('PUBLISH_FAILED', `publishing event ${e.id} failed`);
        return { status: 'accepted' as const, id: e.id, seq: calls };
      },
      deadLetter: async () => {
        throw new Error('no rejections expected');
      },
    };
    await expect(importConverted(results, sink)).rejects.toThrow(
      /PUBLISH|publishing event x12:945:WHSE3PL:SHP-5521:pick:1 failed/,
    );
  });
});

describe('progress bar', () => {
  it('renders bytes read of the total and the running counts, then clears its line', () => {
    let out = '';
    let now = 0;
    const write = (s: string) => {
      out += s;
      return true;
    };
    const bar = new ProgressBar({ write, columns: 100 }, 1_000, () => now);
    bar.addBytes(250);
    bar.update({ accepted: 3, duplicate: 1, rejected: 2 });
    expect(out).toMatch(/^\r█{6}░{18} {2}25% {2}accepted 3 {2}duplicate 1 {2}rejected 2$/);
    now += 50;
    bar.update({ accepted: 4, duplicate: 1, rejected: 2 });
    expect(out.split('\r')).toHaveLength(2);
    bar.clear();
    expect(out.endsWith(`\r${' '.repeat(99)}\r`)).toBe(true);
  });
});
