import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { convertFiles } from '../../ingest/convert.ts';
import { convertEpcis } from '../../ingest/epcis/convert.ts';
import { parseZone } from '../../ingest/files/local-time.ts';
import { collect, eventsOf, rejectionsOf } from './support/collect.ts';
import { sharedData } from './support/paths.ts';

const jsonDir = path.join(sharedData, 'epcis/JSON');
const walk = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
const files = walk(jsonDir);
const options = { maxDocumentBytes: 1 << 24, maxJsonDepth: 64 };

function convertDoc(doc: unknown) {
  return collect(convertEpcis('inline.jsonld', Readable.from([Buffer.from(JSON.stringify(doc))]), options));
}

/** The test's own reading of a document: how many events its eventList holds. */
const docShape = z.object({ epcisBody: z.object({ eventList: z.array(z.unknown()) }) });

describe('EPCIS 2.0 examples (testdata/epcis/JSON, recursively)', () => {
  it('every file converts without rejection, one canonical event per EPCIS event', async () => {
    expect(files.length).toBeGreaterThanOrEqual(19);
    let expected = 0;
    for (const f of files)
      expected += docShape.parse(JSON.parse(readFileSync(f, 'utf8'))).epcisBody.eventList.length;
    const results = await collect(convertFiles(files, { format: 'auto', localZone: parseZone('UTC') }));
    expect(rejectionsOf(results)).toEqual([]);
    // None of the examples is a picking event with quantities, so each maps to exactly one event.
    expect(eventsOf(results)).toHaveLength(expected);
  });

  it('a shipping ObjectEvent: time in its offset, site from the read point, bizStep, PO as shipment', async () => {
    const events = eventsOf(
      await collect(
        convertFiles([path.join(jsonDir, 'Example_9.6.1-ObjectEvent.jsonld')], {
          format: 'auto',
          localZone: parseZone('UTC'),
        }),
      ),
    );
    const shipping = events[0];
    expect(shipping).toMatchObject({
      id: 'epcis:ni:///sha-256;df7bb3c352fef055578554f09f5e2aa41782150ced7bd0b8af24dd3ccb30ba69?ver=CBV2.0',
      type: 'wms.ship_scan',
      occurredAt: '2005-04-03T20:33:31.116-06:00',
      shipmentId: 'http://transaction.acme.com/po/12345678',
      // read at door 1234 of site 0614141.07346: the warehouse is the site
      warehouseId: 'urn:epc:id:sgln:0614141.07346.0',
      epcis: {
        eventType: 'ObjectEvent',
        bizStep: 'shipping',
        eventTimeZoneOffset: '-06:00',
        readPoint: 'urn:epc:id:sgln:0614141.07346.1234',
        disposition: 'in_transit',
        epcList: ['urn:epc:id:sgtin:0614141.107346.2017', 'urn:epc:id:sgtin:0614141.107346.2018'],
      },
    });
    expect(events[1]).toMatchObject({
      type: 'tms.status',
      status: 'arrived',
      code: 'receiving',
      location: 'urn:epc:id:sgln:0012345.11111.0',
      // the PO links the receipt to the shipment although a desadv is listed too
      shipmentId: 'http://transaction.acme.com/po/12345678',
    });
  });

  it('a UTC eventTime is shown in eventTimeZoneOffset (same instant)', async () => {
    const [event] = eventsOf(
      await collect(
        convertFiles([path.join(jsonDir, 'Example_9.6.2-ObjectEvent.jsonld')], {
          format: 'auto',
          localZone: parseZone('UTC'),
        }),
      ),
    );
    expect(event?.occurredAt).toBe('2013-06-08T16:58:56.591+02:00');
    expect(Date.parse(event?.occurredAt ?? '')).toBe(Date.parse('2013-06-08T14:58:56.591Z'));
    expect(event?.epcis).toMatchObject({
      quantityList: [{ epcClass: 'urn:epc:class:lgtin:4012345.012345.998877', quantity: 200, uom: 'KGM' }],
    });
  });

  it('keeps sensorElementList on the event', async () => {
    const [event] = eventsOf(
      await collect(
        convertFiles([path.join(jsonDir, 'WithSensorData/SensorDataExample1.jsonld')], {
          format: 'auto',
          localZone: parseZone('UTC'),
        }),
      ),
    );
    expect(event).toMatchObject({ type: 'wms.pack', handling: 'inspecting' });
    const sensors = z.object({ epcis: z.object({ sensorElementList: z.array(z.unknown()) }) }).parse(event);
    expect(sensors.epcis.sensorElementList).toHaveLength(3);
  });

  it('an error declaration retracts the event it declares erroneous', async () => {
    const [event] = eventsOf(
      await collect(
        convertFiles(
          [path.join(jsonDir, 'WithFullCombinationOfFields/object_event_all_possible_fields.jsonld')],
          { format: 'auto', localZone: parseZone('UTC') },
        ),
      ),
    );
    expect(event).toMatchObject({
      id: 'epcis:urn:uuid:374d95fc-9457-4a51-bd6a-0bba133845a8:error-declared',
      retracts: 'epcis:urn:uuid:374d95fc-9457-4a51-bd6a-0bba133845a8',
      declaredAt: '2006-11-07T14:00:00.000+01:00',
      correctedBy: [
        'epcis:ni:///sha-256;fec9667280c4710a3fa9558b7bc8ddc2ced0dc442d87f82becae24bb6ca6a46f?ver=CBV2.0',
      ],
    });
  });
});

describe('EPCIS mapping details', () => {
  const base = {
    type: 'ObjectEvent',
    action: 'OBSERVE',
    eventTime: '2024-05-01T10:00:00.000Z',
    eventTimeZoneOffset: '+02:00',
    readPoint: { id: 'urn:epc:id:sgln:4012345.00001.7' },
    bizTransactionList: [{ type: 'desadv', bizTransaction: 'urn:epcglobal:cbv:bt:4012345000009:ASN-1' }],
  };

  it('a corrective event in the same document supersedes the one declared erroneous', async () => {
    const results = await convertDoc({
      type: 'EPCISDocument',
      schemaVersion: '2.0',
      creationDate: '2024-05-02T00:00:00Z',
      epcisBody: {
        eventList: [
          { ...base, eventID: 'urn:uuid:wrong', bizStep: 'shipping' },
          {
            ...base,
            eventID: 'urn:uuid:wrong',
            bizStep: 'shipping',
            errorDeclaration: {
              declarationTime: '2024-05-01T12:00:00Z',
              reason: 'incorrect_data',
              correctiveEventIDs: ['urn:uuid:right'],
            },
          },
          { ...base, eventID: 'urn:uuid:right', bizStep: 'shipping', eventTime: '2024-05-01T11:00:00.000Z' },
        ],
      },
    });
    const [original, declaration, corrective] = eventsOf(results);
    expect(original?.id).toBe('epcis:urn:uuid:wrong');
    expect(declaration).toMatchObject({
      id: 'epcis:urn:uuid:wrong:error-declared',
      retracts: 'epcis:urn:uuid:wrong',
    });
    expect(corrective).toMatchObject({
      id: 'epcis:urn:uuid:right',
      supersedes: ['epcis:urn:uuid:wrong'],
      occurredAt: '2024-05-01T13:00:00+02:00',
    });
  });

  it('an EPCISQueryDocument is read from queryResults.resultsBody.eventList', async () => {
    const results = await convertDoc({
      type: 'EPCISQueryDocument',
      schemaVersion: '2.0',
      epcisBody: {
        queryResults: {
          queryName: 'SimpleEventQuery',
          resultsBody: { eventList: [{ ...base, bizStep: 'departing' }] },
        },
      },
    });
    expect(eventsOf(results)).toEqual([
      expect.objectContaining({
        type: 'tms.status',
        status: 'departed',
        shipmentId: 'urn:epcglobal:cbv:bt:4012345000009:ASN-1',
      }),
    ]);
  });

  it('picking with quantities → one wms.pick per quantity; URI bizStep forms are recognised', async () => {
    const results = await convertDoc({
      type: 'EPCISDocument',
      epcisBody: {
        eventList: [
          {
            ...base,
            eventID: 'urn:uuid:pick-1',
            bizStep: 'https://ref.gs1.org/cbv/BizStep-picking',
            quantityList: [
              { epcClass: 'urn:epc:class:lgtin:4012345.011111.L1', quantity: 12, uom: 'EA' },
              { epcClass: 'urn:epc:class:lgtin:4012345.022222.L2', quantity: 3 },
            ],
          },
        ],
      },
    });
    expect(eventsOf(results).map((e) => [e.id, e.type, e.sku, e.qtyPicked, e.warehouseId])).toEqual([
      [
        'epcis:urn:uuid:pick-1:pick:1',
        'wms.pick',
        'urn:epc:class:lgtin:4012345.011111.L1',
        12,
        'urn:epc:id:sgln:4012345.00001.0',
      ],
      [
        'epcis:urn:uuid:pick-1:pick:2',
        'wms.pick',
        'urn:epc:class:lgtin:4012345.022222.L2',
        3,
        'urn:epc:id:sgln:4012345.00001.0',
      ],
    ]);
  });

  it('an event without eventID gets a content hash id that ignores key order and recordTime', async () => {
    const a = eventsOf(
      await convertDoc({
        type: 'EPCISDocument',
        epcisBody: { eventList: [{ ...base, bizStep: 'packing', recordTime: '2024-05-01T10:01:00Z' }] },
      }),
    );
    const reordered = Object.fromEntries(Object.entries({ ...base, bizStep: 'packing' }).reverse());
    const b = eventsOf(
      await convertDoc({
        type: 'EPCISDocument',
        epcisBody: { eventList: [{ ...reordered, recordTime: '2024-06-01T00:00:00Z' }] },
      }),
    );
    expect(a[0]?.id).toMatch(/^epcis:sha256:[0-9a-f]{64}$/);
    expect(b[0]?.id).toBe(a[0]?.id);
    expect(a[0]?.type).toBe('wms.pack');
  });

  it('a custom (non-CBV) bizStep is rejected with the value named', async () => {
    const results = await convertDoc({
      type: 'EPCISDocument',
      epcisBody: { eventList: [{ ...base, bizStep: 'https://example.com/steps/teleporting' }] },
    });
    expect(rejectionsOf(results)).toEqual([
      expect.objectContaining({
        code: 'EPCIS_UNMAPPED_BIZSTEP',
        reason: expect.stringMatching(
          /^bizStep: got "https:\/\/example.com\/steps\/teleporting", expected a CBV 2.0 business step/,
        ),
        position: 'eventList[0]',
      }),
    ]);
  });
});
