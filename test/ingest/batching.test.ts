import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { writeNdjson, writeX12_214 } from '../../bench/ingest-fixtures.ts';
import type { CanonicalEvent } from '../../core/mod.ts';
import { type Converted, convertFiles, convertFilesBatched } from '../../ingest/convert.ts';
import { ByteReader } from '../../ingest/files/byte-reader.ts';
import { parseZone } from '../../ingest/files/local-time.ts';
import { readNdjson } from '../../ingest/files/ndjson.ts';
import { importConverted } from '../../ingest/importer.ts';
import type { SubmitResult } from '../../ingest/publisher.ts';
import { convertX12 } from '../../ingest/x12/convert.ts';
import { collect } from './support/collect.ts';
import { fixtures, repoRoot, sharedData } from './support/paths.ts';

/**
 * `import` reads in batches (every record already in memory converted in one synchronous run) and
 * publishes a batch without awaiting between events. These tests pin that the batched path yields
 * exactly what the record-by-record path yields, whatever the chunking of the input, and that the
 * publish window keeps its promises (order, at most 256 in flight, first failure stops).
 */
const tmp = mkdtempSync(path.join(tmpdir(), 'dockside-batching-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const utc = parseZone('UTC');

const flat = async (batches: AsyncIterable<readonly Converted[]>) => (await collect(batches)).flat();

/** The same bytes as one chunk, or cut every `size` bytes (cuts land inside records and characters). */
const chunked = (bytes: Buffer, size: number) =>
  Readable.from(
    Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) =>
      bytes.subarray(i * size, (i + 1) * size),
    ),
  );

const inputFiles = (() => {
  const files = [
    ...readdirSync(path.join(fixtures, 'x12')).map((f) => path.join(fixtures, 'x12', f)),
    ...readdirSync(path.join(repoRoot, 'test/ingest/hostile'))
      .filter((f) => f.endsWith('.ndjson') || f.endsWith('.edi'))
      .map((f) => path.join(repoRoot, 'test/ingest/hostile', f)),
    ...readdirSync(path.join(sharedData, 'x12')).map((f) => path.join(sharedData, 'x12', f)),
  ];
  const ndjson = path.join(tmp, 'bench.ndjson');
  writeNdjson(ndjson, 400);
  const x12 = path.join(tmp, 'bench.edi');
  writeX12_214(x12, 12, 5);
  // Rejections mixed in: a bad line, a bad status code, a bad date, a set with the wrong SE count.
  const mixed = path.join(tmp, 'mixed.ndjson');
  writeFileSync(
    mixed,
    `${readFileSync(ndjson, 'utf8').split('\n').slice(0, 50).join('\n')}\n{"id": 1}\n\n\r\n{bad\n${'['.repeat(100)}\n{"id": "São Paulo"}\n`,
  );
  const badX12 = path.join(tmp, 'bad.edi');
  writeFileSync(
    badX12,
    readFileSync(x12, 'utf8')
      .replace('AT7*AF*NS***20260301', 'AT7*ZZ*NS***20260301')
      .replace('AT7*X6*NS***20260301', 'AT7*X6*NS***20260231')
      .replace('SE*21*0003', 'SE*99*0003'),
  );
  return [...files, ndjson, x12, mixed, badX12];
})();

describe('batched conversion', () => {
  it.each(inputFiles.map((f) => [path.relative(repoRoot, f), f]))(
    '%s: convertFilesBatched flattened = convertFiles',
    async (_name, file) => {
      const options = { format: 'auto' as const, localZone: utc };
      const single = await collect(convertFiles([file], options));
      expect(single.length).toBeGreaterThan(0);
      expect(await flat(convertFilesBatched([file], options))).toEqual(single);
    },
  );

  it('NDJSON: the same records whatever the chunking (1 byte, 7 bytes, 4 KiB, whole)', async () => {
    const bytes = readFileSync(inputFiles.at(-2) as string);
    const read = async (size: number) =>
      collect(readNdjson('m.ndjson', chunked(bytes, size), { maxLineBytes: 1 << 20, maxJsonDepth: 64 }));
    const whole = await read(bytes.length);
    // The last line is not ASCII: the whole file reads through the byte path, 4 KiB chunks mostly as text.
    expect(whole.filter((r) => !r.ok).map((r) => r.position)).toEqual([
      'line 51',
      'line 54',
      'line 55',
      'line 56',
    ]);
    expect(whole.at(-1)).toMatchObject({ ok: false, raw: '{"id": "São Paulo"}' });
    for (const size of [1, 7, 4_096]) expect(await read(size)).toEqual(whole);
  });

  it('X12: the same records whatever the chunking, ~ and newline terminators alike', async () => {
    for (const file of [inputFiles.at(-1), path.join(fixtures, 'x12/214-newline.edi')]) {
      const bytes = readFileSync(file as string);
      const read = async (size: number) =>
        collect(convertX12('f.edi', chunked(bytes, size), { localZone: utc }));
      const whole = await read(bytes.length);
      expect(whole.length).toBeGreaterThan(3);
      for (const size of [1, 5, 4_096]) expect(await read(size)).toEqual(whole);
    }
  });

  it('X12 with non-ASCII text: UTF-8 cities and an invalid byte read the same on the ASCII fast path or not', async () => {
    const text = readFileSync(path.join(fixtures, 'x12/214-newline.edi'), 'utf8');
    const utf8 = Buffer.from(text.replace('MS1|NASHVILLE|TN|US', 'MS1|SÃO PAULO|SP|BR'), 'utf8');
    const broken = Buffer.from(text.replace('MS1|ATLANTA|GA|US', 'MS1|ATL\u0001ANTA|GA|US'), 'utf8');
    broken[broken.indexOf(0x01)] = 0xff;
    const read = (bytes: Buffer, size: number) =>
      collect(convertX12('f.edi', chunked(bytes, size), { localZone: utc }));
    const withCity = await read(utf8, utf8.length);
    expect(
      withCity.some((r) => r.ok && 'location' in r.event && r.event.location === 'SÃO PAULO, SP, BR'),
    ).toBe(true);
    const withBadByte = await read(broken, broken.length);
    expect(withBadByte.some((r) => !r.ok && r.code === 'INVALID_UTF8')).toBe(true);
    // 1-byte chunks never buffer a whole segment, so they take the byte path throughout.
    expect(await read(utf8, 1)).toEqual(withCity);
    expect(await read(broken, 1)).toEqual(withBadByte);
  });

  it('ByteReader: buffered text matches buffered bytes on ASCII and gives way on anything else', async () => {
    const ascii = new ByteReader(Readable.from([Buffer.from('ab\ncd\nef')]));
    expect((await ascii.readRecord(0x0a, 100))?.bytes.toString()).toBe('ab');
    expect(ascii.readBufferedText(0x0a, 100)).toEqual({ text: 'cd', line: 2 });
    expect(ascii.readBufferedText(0x0a, 100)).toBeUndefined();
    const utf8 = new ByteReader(Readable.from([Buffer.from('ab\nçd\n')]));
    await utf8.readRecord(0x0a, 100);
    expect(utf8.readBufferedText(0x0a, 100)).toBeUndefined();
    expect(utf8.readBufferedRecord(0x0a, 100)?.bytes.toString()).toBe('çd');
  });

  it('ByteReader: buffered reads agree with readRecord and stop where bytes are missing', async () => {
    const reader = new ByteReader(Readable.from([Buffer.from('ab\ncd\n\nef'), Buffer.from('gh\n')]));
    const first = await reader.readRecord(0x0a, 100);
    expect([first?.bytes.toString(), first?.line, first?.offset]).toEqual(['ab', 1, 0]);
    const second = reader.readBufferedRecord(0x0a, 100);
    expect([second?.bytes.toString(), second?.line, second?.offset]).toEqual(['cd', 2, 3]);
    expect(reader.readBufferedRecord(0x0a, 1)?.bytes.toString()).toBe('');
    // "ef" has no delimiter yet, and a record over the cap is left to readRecord to report.
    expect(reader.readBufferedRecord(0x0a, 100)).toBeUndefined();
    expect(reader.readBufferedRecord(0x0a, 1)).toBeUndefined();
    const last = await reader.readRecord(0x0a, 100);
    expect([last?.bytes.toString(), last?.line, last?.offset]).toEqual(['efgh', 4, 7]);
    expect(reader.skipBufferedWhile((b) => b === 0x20)).toBe(false);
  });
});

describe('import publish window', () => {
  const event = (i: number): Converted => ({
    ok: true,
    file: 'f',
    position: `line ${i}`,
    event: {
      id: `e${i}`,
      type: 'tms.pod',
      occurredAt: '2024-03-05T10:00:00Z',
      shipmentId: 'S',
      schemaVersion: 1,
    },
  });

  /** A sink whose acks the test releases by hand, in bursts, like a broker answering a socket read. */
  function manualSink() {
    const order: string[] = [];
    const pending: Array<() => void> = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const sink = {
      publish: (e: CanonicalEvent) => {
        order.push(e.id);
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        return new Promise<SubmitResult>((resolve) =>
          pending.push(() => {
            inFlight--;
            resolve({ status: 'accepted', id: e.id, seq: order.indexOf(e.id) + 1 });
          }),
        );
      },
      deadLetter: async () => {
        throw new Error('no rejections expected');
      },
    };
    return { sink, order, pending, stats: () => ({ inFlight, maxInFlight }) };
  }

  it('publishes in order with at most 256 in flight, refilling every slot a burst of acks frees', async () => {
    const m = manualSink();
    async function* batches() {
      yield Array.from({ length: 600 }, (_, i) => event(i));
      yield [event(600), event(601)];
    }
    const done = importConverted(batches(), m.sink);
    const settle = () => new Promise((r) => setImmediate(r));
    await settle();
    expect(m.order).toHaveLength(256);
    // A burst of 40 acks: all 40 slots are refilled before the importer waits again.
    for (const ack of m.pending.splice(0, 40)) ack();
    await settle();
    expect(m.order).toHaveLength(296);
    while (m.pending.length > 0) {
      for (const ack of m.pending.splice(0)) ack();
      await settle();
    }
    const summary = await done;
    expect(summary).toEqual({ accepted: 602, duplicate: 0, rejected: 0, byType: { 'tms.pod': 602 } });
    expect(m.order).toEqual(Array.from({ length: 602 }, (_, i) => `e${i}`));
    expect(m.stats()).toEqual({ inFlight: 0, maxInFlight: 256 });
  });

  it('stops at the first failure, publishes nothing after it is seen, and throws it', async () => {
    let calls = 0;
    const sink = {
      publish: async (e: CanonicalEvent): Promise<SubmitResult> => {
        calls++;
        if (e.id === 'e3') throw new Error('broker said no');
        return { status: 'accepted', id: e.id, seq: calls };
      },
      deadLetter: async () => {
        throw new Error('no rejections expected');
      },
    };
    let closed = false;
    async function* batches() {
      try {
        yield [event(0), event(1), event(2), event(3)];
        yield Array.from({ length: 1_000 }, (_, i) => event(i + 4));
        yield Array.from({ length: 1_000 }, (_, i) => event(i + 1_004));
      } finally {
        closed = true;
      }
    }
    await expect(importConverted(batches(), sink)).rejects.toThrow('broker said no');
    expect(calls).toBeLessThan(300);
    // The input is closed (a file stream would be destroyed here).
    expect(closed).toBe(true);
  });
});
