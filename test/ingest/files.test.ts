import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { convertFiles } from '../../ingest/convert.ts';
import { ByteReader } from '../../ingest/files/byte-reader.ts';
import { parseZone } from '../../ingest/files/local-time.ts';
import { loadMapping, MappingError } from '../../ingest/files/mapping.ts';
import { readNdjson } from '../../ingest/files/ndjson.ts';
import { detectFormat } from '../../ingest/formats.ts';
import { byId, collect, eventsOf, rejectionsOf } from './support/collect.ts';
import { fixtures, repoRoot, sharedData } from './support/paths.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'dockside-files-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const utc = parseZone('UTC');

const pod = (i: number) => ({
  id: `pod-${i}`,
  type: 'tms.pod',
  occurredAt: '2024-03-05T10:00:00+01:00',
  shipmentId: `S-${i}`,
});
const ndjsonOptions = { maxLineBytes: 1 << 20, maxJsonDepth: 64 };

describe('NDJSON reader', () => {
  it('reads canonical events line by line; blank lines separate, CRLF and a BOM are tolerated', async () => {
    const text = `\uFEFF${JSON.stringify(pod(1))}\r\n\n   \n${JSON.stringify({ ...pod(2), note: 'Ünïcødé ✓' })}\n`;
    const results = await collect(readNdjson('a.ndjson', Readable.from([Buffer.from(text)]), ndjsonOptions));
    expect(results.map((r) => (r.ok ? [r.position, r.event.id] : [r.position, r.reason]))).toEqual([
      ['line 1', 'pod-1'],
      ['line 4', 'pod-2'],
    ]);
    expect(eventsOf(results)[1]).toMatchObject({ note: 'Ünïcødé ✓', schemaVersion: 1 });
  });

  it('splits correctly whatever the chunking, including inside multi-byte characters', async () => {
    const bytes = Buffer.from(
      `${[1, 2, 3].map((i) => JSON.stringify({ ...pod(i), city: 'São Paulo — 東京' })).join('\n')}\n`,
    );
    const oneByteChunks = Readable.from(Array.from(bytes, (b) => Buffer.from([b])));
    const results = await collect(readNdjson('a.ndjson', oneByteChunks, ndjsonOptions));
    expect(eventsOf(results).map((e) => [e.id, e.city])).toEqual([
      ['pod-1', 'São Paulo — 東京'],
      ['pod-2', 'São Paulo — 東京'],
      ['pod-3', 'São Paulo — 東京'],
    ]);
  });

  it('streams: the first event comes out after a few chunks of a long input, not after all of it', async () => {
    let pulled = 0;
    const total = 5_000;
    async function* source() {
      for (let i = 0; i < total; i++) {
        pulled++;
        yield Buffer.from(`${JSON.stringify(pod(i))}\n`);
      }
    }
    const it = readNdjson('big.ndjson', source(), ndjsonOptions)[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.value).toMatchObject({ ok: true, event: { id: 'pod-0' } });
    expect(pulled).toBeLessThan(5);
    await it.return?.(undefined);
  });

  it('a giant line is skipped with a reason and the lines after it still convert', async () => {
    const text = `${JSON.stringify(pod(1))}\n${'x'.repeat(5_000)}\n${JSON.stringify(pod(2))}\n`;
    const results = await collect(
      readNdjson('a.ndjson', Readable.from([Buffer.from(text)]), { maxLineBytes: 1_000, maxJsonDepth: 64 }),
    );
    expect(results.map((r) => (r.ok ? r.event.id : `${r.code} ${r.position}`))).toEqual([
      'pod-1',
      'LINE_TOO_LONG line 2',
      'pod-2',
    ]);
  });

  it('keys named __proto__ do not pollute prototypes', async () => {
    const line = `{"__proto__":{"polluted":true},"id":"p","type":"tms.pod","occurredAt":"2024-03-05T10:00:00Z","shipmentId":"S"}\n`;
    const results = await collect(readNdjson('a.ndjson', Readable.from([Buffer.from(line)]), ndjsonOptions));
    expect(results).toHaveLength(1);
    expect(Object.prototype).not.toHaveProperty('polluted');
  });
});

describe('ByteReader', () => {
  it('keeps line numbers and offsets across records and chunks', async () => {
    const reader = new ByteReader(Readable.from([Buffer.from('ab\ncd'), Buffer.from('\n\nef')]));
    const records = [];
    for (let r = await reader.readRecord(0x0a, 100); r; r = await reader.readRecord(0x0a, 100)) {
      records.push([r.bytes.toString(), r.line, r.offset, r.terminated]);
    }
    expect(records).toEqual([
      ['ab', 1, 0, true],
      ['cd', 2, 3, true],
      ['', 3, 6, true],
      ['ef', 4, 7, false],
    ]);
  });
});

describe('CSV with a columns mapping (mappings/shipments.example.yaml)', () => {
  it('maps each row to the events its `when` conditions select, with zone-aware timestamps', async () => {
    const mapping = await loadMapping(path.join(repoRoot, 'mappings/shipments.example.yaml'));
    const results = await collect(
      convertFiles([path.join(fixtures, 'csv/shipments.csv')], { format: 'auto', mapping, localZone: utc }),
    );
    expect(rejectionsOf(results)).toEqual([]);
    const events = eventsOf(results);
    expect(events.map((e) => e.id)).toEqual([
      'acme:S-1:committed',
      'acme:S-1:ship_scan',
      'acme:S-1:delivered',
      'acme:S-2:committed',
      'acme:S-2:ship_scan',
      'acme:S-3:committed',
      'acme:S-3:cancelled',
    ]);
    expect(byId(events, 'acme:S-1:committed')).toMatchObject({
      source: 'acme-wms',
      customerTier: 'tier1',
      lane: 'IL>WI',
      // 9 March 2024 is CST; 10 March (after 2 am) is CDT
      occurredAt: '2024-03-09T09:00:00-06:00',
      promisedShipBy: '2024-03-10T17:00:00-05:00',
      promisedDeliverBy: '2024-03-12T23:59:59-05:00',
      lines: [
        { sku: 'SKU-1', qty: 2 },
        { sku: 'SKU-2', qty: 1 },
      ],
    });
    // a timestamp with its own offset keeps it
    expect(byId(events, 'acme:S-2:ship_scan').occurredAt).toBe('2024-07-02T11:00:00-05:00');
    expect(byId(events, 'acme:S-3:cancelled')).toMatchObject({
      reason: 'cancelled in WMS',
      occurredAt: '2024-11-03T09:00:00-06:00',
    });
    expect(byId(events, 'acme:S-3:committed')).not.toHaveProperty('lines');
  });

  it('a CSV without --mapping is one rejection saying so', async () => {
    const results = await collect(
      convertFiles([path.join(fixtures, 'csv/shipments.csv')], { format: 'auto', localZone: utc }),
    );
    expect(results).toEqual([
      expect.objectContaining({
        ok: false,
        code: 'CSV_NO_MAPPING',
        reason: expect.stringMatching(/expected --mapping FILE/),
      }),
    ]);
  });

  it('a row no event matches is rejected, not dropped', async () => {
    const file = path.join(tmp, 'routing.yaml');
    writeFileSync(
      file,
      [
        'version: 1',
        'profile: columns',
        'source: t',
        'events:',
        '  - type: tms.pod',
        '    id: "t:{id}"',
        '    occurredAt: at',
        '    when: { column: kind, in: [pod] }',
        '    fields: { shipmentId: id }',
      ].join('\n'),
    );
    const csv = path.join(tmp, 'routing.csv');
    writeFileSync(csv, 'id,kind,at\nA,pod,2024-01-01 10:00\nB,scan,2024-01-01 11:00\n');
    const results = await collect(
      convertFiles([csv], { format: 'csv', mapping: await loadMapping(file), localZone: utc }),
    );
    expect(results.map((r) => (r.ok ? r.event.id : `${r.code} ${r.position}`))).toEqual([
      't:A',
      'CSV_NO_MATCH line 3',
    ]);
    expect(rejectionsOf(results)[0]?.reason).toMatch(
      /matched none of the mapping's events \(tms\.pod: kind in \[pod\]\)/,
    );
  });
});

describe('mapping files', () => {
  const write = (name: string, text: string) => {
    const file = path.join(tmp, name);
    writeFileSync(file, text);
    return file;
  };

  it('names the bad key, its value and what was expected', async () => {
    const file = write(
      'bad.yaml',
      'version: 1\nprofile: columns\nsource: x\nevents:\n  - type: shipment.teleported\n    id: a\n    occurredAt: b\n    fields: {}\n',
    );
    await expect(loadMapping(file)).rejects.toThrow(
      /events\.0\.type: got "shipment\.teleported", expected one of .*shipment\.committed/,
    );
  });

  it('rejects an unknown profile, a bad zone and field specs with two sources', async () => {
    await expect(loadMapping(write('p.yaml', 'version: 1\nprofile: magic\n'))).rejects.toBeInstanceOf(
      MappingError,
    );
    await expect(
      loadMapping(
        write(
          'z.yaml',
          'version: 1\nprofile: columns\nsource: x\ntimezone: Mars/Olympus\nevents:\n  - { type: tms.pod, id: a, occurredAt: b, fields: {} }\n',
        ),
      ),
    ).rejects.toThrow(/timezone: "Mars\/Olympus" is neither an offset like -03:00 nor an IANA time zone/);
    await expect(
      loadMapping(
        write(
          'f.yaml',
          'version: 1\nprofile: columns\nsource: x\nevents:\n  - { type: tms.pod, id: a, occurredAt: b, fields: { shipmentId: { column: a, value: b } } }\n',
        ),
      ),
    ).rejects.toThrow(/exactly one of column, template or value/);
  });

  it('mappings/olist.yaml loads as the olist profile', async () => {
    const m = await loadMapping(path.join(repoRoot, 'mappings/olist.yaml'));
    expect(m).toMatchObject({
      profile: 'olist',
      timezone: '-03:00',
      customerTier: { tier1MinOrderValue: 500, tier2MinOrderValue: 150 },
    });
  });
});

describe('format detection', () => {
  it.each([
    ['anything.txt', 'ISA*00*', 'x12'],
    ['a.edi', '\uFEFF  \n  ISA~00~', 'x12'],
    ['doc.json', '{"@context":["x"],"type":"EPCISDocument"}', 'epcis'],
    ['doc.jsonld', '{"type":"ObjectEvent"}', 'epcis'],
    ['events.json', '{"id":"a","type":"tms.pod"}\n{"id":"b"}', 'ndjson'],
    ['events.ndjson', '', 'ndjson'],
    ['export.csv', 'a;b;c', 'csv'],
    ['export', 'order_id,customer_id\n1,2', 'csv'],
  ])('%s starting %j is %s', (name, head, expected) => {
    expect(detectFormat(name, Buffer.from(head))).toBe(expected);
  });

  it('an undetectable or unreadable file is one rejection', async () => {
    const odd = path.join(tmp, 'mystery.bin');
    writeFileSync(odd, 'just some words');
    const results = await collect(
      convertFiles([odd, path.join(tmp, 'missing.ndjson')], { format: 'auto', localZone: utc }),
    );
    expect(results.map((r) => (r.ok ? 'event' : r.code))).toEqual(['FORMAT_UNKNOWN', 'FILE_UNREADABLE']);
  });

  it('the shared sample files are all detected from their own first bytes', () => {
    const head = (f: string) => readFileSync(f).subarray(0, 65_536);
    const inDir = (d: string) =>
      readdirSync(path.join(sharedData, d)).map((f) => path.join(sharedData, d, f));
    for (const f of inDir('x12')) expect(detectFormat(f, head(f))).toBe('x12');
    for (const f of inDir('epcis/JSON').filter((f) => f.endsWith('.jsonld')))
      expect(detectFormat(f, head(f))).toBe('epcis');
    for (const f of inDir('olist').filter((f) => f.endsWith('.csv')))
      expect(detectFormat(f, head(f))).toBe('csv');
  });
});
