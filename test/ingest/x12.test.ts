import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { convertFiles } from '../../ingest/convert.ts';
import { parseZone } from '../../ingest/files/local-time.ts';
import { convertX12 } from '../../ingest/x12/convert.ts';
import { byId, collect, eventsOf, rejectionsOf } from './support/collect.ts';
import { fixtures, sharedData } from './support/paths.ts';

const utc = parseZone('UTC');
const x12Dir = path.join(sharedData, 'x12');
const x12Files = readdirSync(x12Dir).map((f) => path.join(x12Dir, f));

function convertText(text: string, localZone = utc) {
  return collect(convertX12('inline.edi', Readable.from([Buffer.from(text, 'latin1')]), { localZone }));
}

describe('X12 sample documents (testdata/x12)', () => {
  it('every file converts without rejection', async () => {
    expect(x12Files.length).toBeGreaterThanOrEqual(3);
    const results = await collect(convertFiles(x12Files, { format: 'auto', localZone: utc }));
    expect(rejectionsOf(results)).toEqual([]);
    // Each sample holds one transaction set; the 945 adds one pick per W12 line (3).
    const w12Lines = readFileSync(path.join(x12Dir, 'oopfactoryWAR_945_inter-americanproducts.txt'), 'latin1')
      .split('~')
      .filter((s) => s.trim().startsWith('W12')).length;
    expect(eventsOf(results)).toHaveLength(3 + w12Lines);
  });

  it('856 with `~` as ELEMENT separator and `*` as terminator: ship scan from BSN/DTM*011/N1*SF', async () => {
    const events = eventsOf(
      await collect(
        convertFiles([path.join(x12Dir, 'oopfactoryORD_856_Example1.txt')], {
          format: 'x12',
          localZone: utc,
        }),
      ),
    );
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'wms.ship_scan',
      shipmentId: '123456',
      warehouseId: 'ACME ELECT00',
      occurredAt: '2001-04-20T14:21:00+00:00',
      estimatedDeliveryAt: '2001-04-22T08:00:00+00:00',
      lines: [
        { sku: '1234-123456', qty: 16, uom: 'PC' },
        { sku: '1234-654321', qty: 23, uom: 'LB' },
        { sku: '1234-223456', qty: 16, uom: 'PC' },
      ],
    });
  });

  it('856 without BSN-02 takes the bill of lading (REF*BM) as shipment id and reads YYMMDD dates', async () => {
    const events = eventsOf(
      await collect(
        convertFiles([path.join(x12Dir, 'oopfactoryORD_856_Example2.txt')], {
          format: 'x12',
          localZone: utc,
        }),
      ),
    );
    expect(events[0]).toMatchObject({
      shipmentId: '25673',
      shipmentIdFrom: 'REF*BM',
      warehouseId: '567891234',
      occurredAt: '2003-06-19T14:45:00+00:00',
      carrierId: 'MPNF',
    });
  });

  it("945 keeps each W12 line's ordered and shipped quantities", async () => {
    const events = eventsOf(
      await collect(
        convertFiles([path.join(x12Dir, 'oopfactoryWAR_945_inter-americanproducts.txt')], {
          format: 'auto',
          localZone: utc,
        }),
      ),
    );
    const picks = events.filter((e) => e.type === 'wms.pick');
    expect(picks.map((p) => [p.sku, p.qtyOrdered, p.qtyPicked])).toEqual([
      ['339408', 120, 120],
      ['100021', 400, 400],
      ['133848', 400, 400],
    ]);
    const scan = events.find((e) => e.type === 'wms.ship_scan');
    expect(scan).toMatchObject({
      shipmentId: '2144',
      warehouseId: '9338945000',
      warehouseIdFrom: 'ISA-06',
      occurredAt: '2002-09-16T00:00:00+00:00',
      occurredAtPrecision: 'day',
      qtyOrdered: 920,
      qtyShipped: 920,
    });
    expect(scan?.x12).toMatchObject({ warnings: [expect.stringMatching(/GS has 10 elements/)] });
  });
});

describe('X12 214 hand-made fixtures', () => {
  const tilde = path.join(fixtures, 'x12/214-tilde.edi');
  const newline = path.join(fixtures, 'x12/214-newline.edi');

  it('`~`-terminated and newline-terminated (other separators, indented, CRLF) convert to the same events', async () => {
    const a = await collect(convertFiles([tilde], { format: 'auto', localZone: utc }));
    const b = await collect(convertFiles([newline], { format: 'auto', localZone: utc }));
    expect(rejectionsOf(a)).toEqual([]);
    expect(rejectionsOf(b)).toEqual([]);
    expect(eventsOf(a)).toHaveLength(9);
    expect(eventsOf(b)).toEqual(eventsOf(a));
  });

  it('maps AT7 codes, references, MS1 locations and zone codes (DST by date)', async () => {
    const events = eventsOf(
      await collect(convertFiles([tilde], { format: 'x12', localZone: parseZone('-04:00') })),
    );
    // AF on 5 March 2024, ET: US DST starts 10 March, so Eastern Standard Time.
    expect(byId(events, 'x12:214:ODFL:SHP-1001:AF:202403050815')).toMatchObject({
      type: 'tms.status',
      status: 'picked_up',
      code: 'AF',
      shipmentId: 'SHP-1001',
      occurredAt: '2024-03-05T08:15:00-05:00',
      location: 'ATLANTA, GA, US',
      carrierId: 'ODFL',
      references: { BM: ['BOL-778899'], PO: ['PO-4455'], PRO: ['PRO123456'] },
    });
    expect(byId(events, 'x12:214:ODFL:SHP-1001:X6:202403061340')).toMatchObject({ status: 'departed' });
    expect(byId(events, 'x12:214:ODFL:SHP-1001:SD:202403062210')).toMatchObject({
      status: 'delayed',
      reasonCode: 'AO',
      occurredAt: '2024-03-06T22:10:00-06:00',
    });
    // AG is an estimate: the AT7 time is the eta, the report time is the group's (GS04/05, local zone).
    expect(byId(events, 'x12:214:ODFL:SHP-1001:AG:202403081700')).toMatchObject({
      eta: '2024-03-08T17:00:00-06:00',
      occurredAt: '2024-03-05T15:02:00-04:00',
    });
    expect(byId(events, 'x12:214:ODFL:SHP-1001:X1:202403081612')).toMatchObject({ status: 'delivered' });
    expect(byId(events, 'x12:214:ODFL:SHP-1002:X3:202403090700')).toMatchObject({
      status: 'arrived',
      occurredAt: '2024-03-09T07:00:00-08:00',
    });
    // A movement status with a non-normal reason (AH, driver related) is a delay; LT = the local zone given.
    expect(byId(events, 'x12:214:ODFL:SHP-1002:P1:202403100400')).toMatchObject({
      status: 'delayed',
      code: 'P1',
      occurredAt: '2024-03-10T04:00:00-04:00',
    });
    // D1 on 11 March, MT: Mountain Daylight Time.
    expect(byId(events, 'x12:214:ODFL:SHP-1002:D1:202403111130')).toMatchObject({
      status: 'delivered',
      occurredAt: '2024-03-11T11:30:00-06:00',
      location: 'DENVER, CO, US',
    });
  });

  it('reads several interchanges with different separators from one file', async () => {
    const a = readFileSync(tilde, 'latin1');
    const b = readFileSync(newline, 'latin1')
      .replace('000000905', '000000906')
      .replaceAll('|000000905', '|000000906');
    const results = await convertText(`${a}\n${b}`);
    expect(rejectionsOf(results)).toEqual([]);
    expect(eventsOf(results)).toHaveLength(18);
    expect(new Set(eventsOf(results).map((e) => e.id)).size).toBe(9);
  });
});

describe('X12 945 short shipment fixture', () => {
  it('one pick per W12 with qtyOrdered/qtyPicked; warehouse from N1*WH; G62 time with its zone', async () => {
    const events = eventsOf(
      await collect(
        convertFiles([path.join(fixtures, 'x12/945-short-ship.edi')], { format: 'auto', localZone: utc }),
      ),
    );
    expect(events.map((e) => e.type)).toEqual(['wms.ship_scan', 'wms.pick', 'wms.pick', 'wms.pick']);
    const blue = events.find((e) => e.type === 'wms.pick' && e.sku === 'SKU-BLUE');
    expect(blue).toMatchObject({
      qtyOrdered: 24,
      qtyPicked: 18,
      warehouseId: 'WH-DAL-01',
      shipmentId: 'SHP-5521',
    });
    expect(events[0]).toMatchObject({
      occurredAt: '2024-04-12T15:45:00-05:00',
      orderId: 'ORD-5521',
      carrierId: 'UPSN',
    });
  });
});

describe('X12 envelope validation', () => {
  const good = readFileSync(path.join(fixtures, 'x12/214-tilde.edi'), 'latin1');

  it('a wrong SE01 rejects only its set; the other set still converts', async () => {
    const broken = good.replace('SE*24*0001', 'SE*23*0001');
    expect(broken).not.toBe(good);
    const results = await convertText(broken);
    const rejections = rejectionsOf(results);
    expect(rejections).toHaveLength(1);
    expect(rejections[0]).toMatchObject({
      code: 'X12_COUNT_MISMATCH',
      reason: expect.stringMatching(/^SE01: got "23", expected "24"/),
    });
    expect(eventsOf(results).every((e) => e.shipmentId === 'SHP-1002')).toBe(true);
    expect(eventsOf(results)).toHaveLength(4);
  });

  it('GE01 and IEA01 mismatches are reported as rejections', async () => {
    const results = await convertText(good.replace('GE*2*905', 'GE*3*905').replace('IEA*1*', 'IEA*2*'));
    expect(rejectionsOf(results).map((r) => r.reason)).toEqual([
      expect.stringMatching(/^GE01: got "3", expected "2"/),
      expect.stringMatching(/^IEA01: got "2", expected "1"/),
    ]);
  });
});
