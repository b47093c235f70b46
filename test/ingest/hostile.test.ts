import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConvertOptions, convertFiles, convertFilesBatched } from '../../ingest/convert.ts';
import { parseZone } from '../../ingest/files/local-time.ts';
import { loadMapping, type Mapping } from '../../ingest/files/mapping.ts';
import type { FormatChoice } from '../../ingest/formats.ts';
import { collect, rejectionsOf } from './support/collect.ts';
import { fixtures, repoRoot, sharedData } from './support/paths.ts';

/**
 * The hostile-input corpus: truncated EDI, wrong counts, bad dates, huge fields, wrong types, unknown
 * types, invalid UTF-8, deep JSON, giant lines. Most cases are generated from templates below (each
 * one file), plus the literal files in test/ingest/hostile/. For every case: no throw, at least one
 * rejection, every rejection has a code, position and reason, and one matches the expected code and
 * reason. Single-record cases must yield exactly one result (nothing dropped, nothing invented).
 */
interface Case {
  readonly name: string;
  readonly ext: string;
  readonly content: string | Buffer;
  readonly code: RegExp;
  readonly reason: RegExp;
  readonly format?: FormatChoice;
  readonly singleRecord?: boolean;
  readonly csv?: boolean;
  readonly limits?: Partial<Pick<ConvertOptions, 'maxLineBytes' | 'maxDocumentBytes' | 'maxJsonDepth'>>;
}

const cases: Case[] = [];
const add = (c: Case) => cases.push(c);

// ---------------------------------------------------------------- NDJSON of canonical events
const T = '2024-03-05T10:00:00Z';
const valid: Record<string, Record<string, unknown>> = {
  'shipment.committed': {
    id: 'c1',
    type: 'shipment.committed',
    occurredAt: T,
    shipmentId: 'S1',
    customerId: 'C1',
    customerTier: 'tier1',
    warehouseId: 'W1',
    lane: 'SP>RJ',
    promisedShipBy: '2024-03-06T10:00:00Z',
  },
  'shipment.cancelled': { id: 'x1', type: 'shipment.cancelled', occurredAt: T, shipmentId: 'S1' },
  'wms.pick': {
    id: 'p1',
    type: 'wms.pick',
    occurredAt: T,
    shipmentId: 'S1',
    warehouseId: 'W1',
    sku: 'K',
    qtyOrdered: 2,
    qtyPicked: 1,
  },
  'wms.pack': { id: 'k1', type: 'wms.pack', occurredAt: T, shipmentId: 'S1', warehouseId: 'W1' },
  'wms.ship_scan': { id: 's1', type: 'wms.ship_scan', occurredAt: T, shipmentId: 'S1', warehouseId: 'W1' },
  'wms.cycle_count': {
    id: 'cc1',
    type: 'wms.cycle_count',
    occurredAt: T,
    warehouseId: 'W1',
    sku: 'K',
    countedQty: 1,
    systemQty: 2,
  },
  'tms.tender': {
    id: 't1',
    type: 'tms.tender',
    occurredAt: T,
    loadId: 'L1',
    carrierId: 'CR',
    shipmentIds: ['S1'],
  },
  'tms.tender_response': {
    id: 'tr1',
    type: 'tms.tender_response',
    occurredAt: T,
    loadId: 'L1',
    carrierId: 'CR',
    accepted: false,
  },
  'tms.status': { id: 'st1', type: 'tms.status', occurredAt: T, shipmentId: 'S1', status: 'delayed' },
  'tms.pod': { id: 'pod1', type: 'tms.pod', occurredAt: T, shipmentId: 'S1' },
  'crm.contact': { id: 'cr1', type: 'crm.contact', occurredAt: T, customerId: 'C1', reason: 'wismo' },
};
const ndjson = (name: string, line: string | Buffer, code: RegExp, reason: RegExp, limits?: Case['limits']) =>
  add({
    name: `ndjson: ${name}`,
    ext: 'ndjson',
    content: line,
    code,
    reason,
    singleRecord: true,
    ...(limits ? { limits } : {}),
  });
const event = (o: Record<string, unknown>) => `${JSON.stringify(o)}\n`;

for (const text of [
  '{',
  '{"id":',
  '{"id":"a",}',
  "{'id':'a'}",
  '{"id":"a" "type":"x"}',
  'NaN',
  '{"a":1}}',
  '[1,2',
  '"unterminated',
  '{"id":"\\u12"}',
  'tru',
  '{"a":01}',
  '{"a":.5}',
  '{"a":1e}',
  '{,}',
  '{"a":undefined}',
  '{"a":1,"b"}',
  '{"a":\'x\'}',
]) {
  ndjson(`invalid JSON ${text}`, `${text}\n`, /^JSON_INVALID$/, /^line 1: not valid JSON/);
}
for (const text of ['[]', '1', '"str"', 'null', 'true', '[{"id":"x"}]', '-0.5']) {
  ndjson(`not an object ${text}`, `${text}\n`, /^EVENT_INVALID$/, /^\(input\): got .*, expected object/);
}
for (const type of [
  'shipment.created',
  'wms.teleport',
  'SHIPMENT.COMMITTED',
  'tms.status ',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
]) {
  ndjson(
    `unknown type ${JSON.stringify(type)}`,
    event({ ...valid['tms.pod'], type }),
    /^EVENT_TYPE_UNKNOWN$/,
    /^type: got ".*", expected one of shipment\.committed/,
  );
}
for (const type of ['', 123, null, ['tms.pod'], { t: 1 }]) {
  ndjson(
    `type of wrong kind ${JSON.stringify(type)}`,
    event({ ...valid['tms.pod'], type }),
    /^EVENT_INVALID$/,
    /type: got/,
  );
}
for (const [type, base] of Object.entries(valid)) {
  for (const field of Object.keys(base).filter((k) => k !== 'type')) {
    const { [field]: _dropped, ...rest } = base;
    ndjson(
      `${type} without ${field}`,
      event(rest),
      /^EVENT_INVALID$/,
      new RegExp(`(^|; )${field}: got undefined \\(missing\\), expected`),
    );
  }
}
const wrongTypes: Array<[string, Record<string, unknown>, string]> = [
  ['qty as string', { ...valid['wms.pick'], qtyPicked: '5' }, 'qtyPicked'],
  ['negative qty', { ...valid['wms.pick'], qtyOrdered: -1 }, 'qtyOrdered'],
  ['tier gold', { ...valid['shipment.committed'], customerTier: 'gold' }, 'customerTier'],
  ['status lost', { ...valid['tms.status'], status: 'lost' }, 'status'],
  ['accepted "yes"', { ...valid['tms.tender_response'], accepted: 'yes' }, 'accepted'],
  ['shipmentIds empty', { ...valid['tms.tender'], shipmentIds: [] }, 'shipmentIds'],
  ['shipmentIds a string', { ...valid['tms.tender'], shipmentIds: 'S1' }, 'shipmentIds'],
  ['line with empty sku', { ...valid['shipment.committed'], lines: [{ sku: '', qty: 1 }] }, 'lines.0.sku'],
  ['id empty', { ...valid['tms.pod'], id: '' }, 'id'],
  ['id a number', { ...valid['tms.pod'], id: 42 }, 'id'],
  ['occurredAt a number', { ...valid['tms.pod'], occurredAt: 1709632800000 }, 'occurredAt'],
  ['schemaVersion 2', { ...valid['tms.pod'], schemaVersion: 2 }, 'schemaVersion'],
  ['shipmentId an object', { ...valid['tms.pod'], shipmentId: { id: 'S1' } }, 'shipmentId'],
  ['eta not a time', { ...valid['tms.status'], eta: 'soon' }, 'eta'],
];
// JSON can spell a number no double holds: 1e400 parses to Infinity.
ndjson(
  'wrong type: qty 1e400',
  event({ ...valid['wms.cycle_count'], countedQty: 123456789 }).replace('123456789', '1e400'),
  /^EVENT_INVALID$/,
  /(^|; )countedQty: got/,
);
for (const [name, o, field] of wrongTypes) {
  ndjson(
    `wrong type: ${name}`,
    event(o),
    /^EVENT_INVALID$/,
    new RegExp(`(^|; )${field.replace('.', '\\.')}: got`),
  );
}
const badTimes = [
  '2024-02-30T10:00:00Z',
  '2024-13-01T00:00:00Z',
  '2024-01-01T25:00:00Z',
  '2024-01-01T10:00:00',
  '2024-01-01',
  '01/02/2024 10:00',
  '2024-01-01T10:60:00Z',
  'yesterday',
  '',
  '2024-01-01T10:00:00+01',
  '20240101T100000Z',
  '2023-02-29T00:00:00Z',
  '2024-01-01T10:00:00+2500',
  '2024-01-01 10:00:00Z',
];
for (const t of badTimes) {
  ndjson(
    `bad occurredAt ${JSON.stringify(t)}`,
    event({ ...valid['tms.pod'], occurredAt: t }),
    /^EVENT_INVALID$/,
    /(^|; )occurredAt: got/,
  );
}
for (const t of ['2024-04-31T10:00:00Z', 'tomorrow', '2024-06-01T10:00']) {
  ndjson(
    `bad promisedShipBy ${t}`,
    event({ ...valid['shipment.committed'], promisedShipBy: t }),
    /^EVENT_INVALID$/,
    /(^|; )promisedShipBy: got/,
  );
}
ndjson(
  'huge id (10k chars)',
  event({ ...valid['tms.pod'], id: 'x'.repeat(10_000) }),
  /^EVENT_INVALID$/,
  /(^|; )id: got "x+\.\.\., expected string (of length )?<= 256/,
);
ndjson(
  'huge lane (600 chars)',
  event({ ...valid['shipment.committed'], lane: 'L'.repeat(600) }),
  /^EVENT_INVALID$/,
  /lane: got .*expected string (of length )?<= 512/,
);
ndjson(
  'huge sku (100k chars)',
  event({ ...valid['wms.pick'], sku: 'K'.repeat(100_000) }),
  /^EVENT_INVALID$/,
  /sku: got .*expected string (of length )?<= 512/,
);
ndjson(
  'giant line (2 MiB)',
  event({ ...valid['tms.pod'], note: 'n'.repeat(2 * 1024 * 1024) }),
  /^LINE_TOO_LONG$/,
  /^line 1: \d+ bytes, expected at most 1048576 bytes per line$/,
);
ndjson(
  'giant line without newline at EOF',
  JSON.stringify({ ...valid['tms.pod'], note: 'n'.repeat(300_000) }),
  /^LINE_TOO_LONG$/,
  /expected at most 65536 bytes/,
  { maxLineBytes: 65_536 },
);
for (const depth of [65, 100, 1_000, 100_000]) {
  ndjson(
    `JSON nested ${depth} deep (arrays)`,
    `${'['.repeat(depth)}${']'.repeat(depth)}\n`,
    /^JSON_TOO_DEEP$/,
    /^line 1: nesting deeper than 64 levels/,
  );
}
ndjson(
  'JSON nested 200 deep (objects in an event)',
  `{"id":"a","x":${'{"a":'.repeat(200)}1${'}'.repeat(200)}}\n`,
  /^JSON_TOO_DEEP$/,
  /nesting deeper than 64/,
);
ndjson(
  'brackets inside a string are not depth',
  event({ ...valid['tms.pod'], shipmentId: undefined, note: '['.repeat(10_000) }),
  /^EVENT_INVALID$/,
  /shipmentId: got undefined/,
);
const badUtf8: Array<[string, number[]]> = [
  ['0xff', [0xff]],
  ['overlong slash', [0xc0, 0xaf]],
  ['UTF-16 surrogate', [0xed, 0xa0, 0x80]],
  ['5-byte lead', [0xf8, 0x88, 0x80, 0x80, 0x80]],
  ['cut 3-byte sequence', [0xe2, 0x82]],
  ['above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
  ['lone continuation', [0x80]],
  ['latin1 é', [0xe9]],
];
for (const [name, bytes] of badUtf8) {
  const line = Buffer.concat([
    Buffer.from('{"id":"u-'),
    Buffer.from(bytes),
    Buffer.from('","type":"tms.pod","occurredAt":"2024-01-01T00:00:00Z","shipmentId":"S1"}\n'),
  ]);
  ndjson(
    `invalid UTF-8: ${name}`,
    line,
    /^INVALID_UTF8$/,
    /^line 1: got "bytes 0x[0-9a-f]{2}.* at byte 9", expected valid UTF-8 text$/,
  );
}

// ---------------------------------------------------------------- X12
const t214 = readFileSync(path.join(fixtures, 'x12/214-tilde.edi'), 'latin1');
const t945 = readFileSync(path.join(fixtures, 'x12/945-short-ship.edi'), 'latin1');
const t856 = readFileSync(path.join(sharedData, 'x12/oopfactoryORD_856_Example2.txt'), 'latin1');
// Templates are read as latin1 (byte = char), so they are written back as latin1: a BOM stays a BOM.
const x12 = (
  name: string,
  content: string | Buffer,
  code: RegExp,
  reason: RegExp,
  format: FormatChoice = 'auto',
) =>
  add({
    name: `x12: ${name}`,
    ext: 'edi',
    content: typeof content === 'string' ? Buffer.from(content, 'latin1') : content,
    code,
    reason,
    format,
  });
const replaceOnce = (text: string, from: string, to: string) => {
  if (!text.includes(from)) throw new Error(`template lacks ${from}`);
  return text.replace(from, to);
};

const segments214 = t214.split('~');
for (let k = 1; k < segments214.length - 1; k++) {
  x12(
    `truncated after segment ${k}`,
    `${segments214.slice(0, k).join('~')}~`,
    /^X12_TRUNCATED$/,
    /has no (SE|GE|IEA) trailer/,
  );
}
for (let f = 0.05; f < 0.99; f += 0.05) {
  const at = Math.round(t214.length * f);
  x12(
    `cut at byte ${at}`,
    t214.slice(0, at),
    /^X12_(TRUNCATED|ISA_TRUNCATED|CONTROL_MISMATCH|COUNT_MISMATCH)$/,
    /has no (SE|GE|IEA) trailer|^ISA header|^(SE|GE|IEA)0[12]: got/,
  );
}
for (const n of ['23', '25', '0', '2', 'abc', '']) {
  x12(
    `SE01 ${JSON.stringify(n)} instead of 24`,
    replaceOnce(t214, 'SE*24*0001', `SE*${n}*0001`),
    /^X12_COUNT_MISMATCH$/,
    new RegExp(`^SE01: got "${n}", expected "24"`),
  );
}
x12(
  'SE02 not ST02',
  replaceOnce(t214, 'SE*18*0002', 'SE*18*0003'),
  /^X12_CONTROL_MISMATCH$/,
  /^SE02: got "0003", expected "0002"/,
);
for (const n of ['1', '3', 'x']) {
  x12(
    `GE01 ${n}`,
    replaceOnce(t214, 'GE*2*905', `GE*${n}*905`),
    /^X12_COUNT_MISMATCH$/,
    new RegExp(`^GE01: got "${n}", expected "2"`),
  );
}
x12(
  'GE02 not GS06',
  replaceOnce(t214, 'GE*2*905', 'GE*2*906'),
  /^X12_CONTROL_MISMATCH$/,
  /^GE02: got "906", expected "905"/,
);
for (const n of ['0', '2', '']) {
  x12(
    `IEA01 ${JSON.stringify(n)}`,
    replaceOnce(t214, 'IEA*1*', `IEA*${n}*`),
    /^X12_COUNT_MISMATCH$/,
    new RegExp(`^IEA01: got "${n}", expected "1"`),
  );
}
x12(
  'IEA02 not ISA13',
  replaceOnce(t214, 'IEA*1*000000905', 'IEA*1*000000906'),
  /^X12_CONTROL_MISMATCH$/,
  /^IEA02: got "000000906", expected "000000905"/,
);
x12(
  '945 SE01 wrong',
  replaceOnce(t945, 'SE*14*0001', 'SE*15*0001'),
  /^X12_COUNT_MISMATCH$/,
  /^SE01: got "15", expected "14"/,
);
x12(
  'missing SE between two sets',
  replaceOnce(t214, 'SE*24*0001~', ''),
  /^X12_TRUNCATED$/,
  /^ST 0001 \(214\) has no SE trailer: a new ST began/,
);

const at7 = 'AT7*AF*NS***20240305*0815*ET';
for (const d of ['20241301', '20240230', '2024030', 'ABCDEFGH', '20230229', '', '2024-03-05']) {
  x12(
    `AT7 date ${JSON.stringify(d)}`,
    replaceOnce(t214, at7, `AT7*AF*NS***${d}*0815*ET`),
    /^X12_BAD_DATE$/,
    new RegExp(`^AT7-05: got "${d}", expected a calendar date CCYYMMDD`),
  );
}
for (const time of ['2500', '1260', '12', '08:15', 'ab12', '081566']) {
  x12(
    `AT7 time ${JSON.stringify(time)}`,
    replaceOnce(t214, at7, `AT7*AF*NS***20240305*${time}*ET`),
    /^X12_BAD_TIME$/,
    /^AT7-06: got ".*", expected a time HHMM/,
  );
}
for (const zone of ['XX', 'ZZ', '25', '00', 'E', 'EST']) {
  x12(
    `AT7 zone ${JSON.stringify(zone)}`,
    replaceOnce(t214, at7, `AT7*AF*NS***20240305*0815*${zone}`),
    /^X12_BAD_TIME_CODE$/,
    new RegExp(`^AT7-07: got "${zone}", expected an X12 time code`),
  );
}
for (const code of ['ZZ', 'Q9', 'XX', 'B6', 'C1', 'XB', 'af']) {
  x12(
    `AT7 status ${code}`,
    replaceOnce(t214, at7, `AT7*${code}*NS***20240305*0815*ET`),
    /^X12_UNMAPPED_STATUS$/,
    new RegExp(`^AT7-01: got "${code}", expected a mapped status code`),
  );
}
x12(
  'AT7 appointment only',
  replaceOnce(t214, at7, 'AT7***AB*AA*20240305*0815*ET'),
  /^X12_UNMAPPED_STATUS$/,
  /^AT7-01: got "", expected a shipment status code \(AT7-03 AB is an appointment status/,
);
for (const set of ['810', '850', '204', '990', '997']) {
  x12(
    `unsupported set ${set}`,
    replaceOnce(t214, 'ST*214*0001', `ST*${set}*0001`),
    /^X12_UNSUPPORTED_SET$/,
    new RegExp(`^ST-01: got "${set}", expected one of 214, 856, 945`),
  );
}
x12(
  '214 without B10',
  replaceOnce(replaceOnce(t214, 'B10*PRO123456*SHP-1001*ODFL~', ''), 'SE*24*0001', 'SE*23*0001'),
  /^X12_MISSING_SEGMENT$/,
  /^B10: got "", expected a B10 segment/,
);
x12(
  '214 without shipment ids',
  replaceOnce(
    replaceOnce(replaceOnce(t214, 'B10*PRO123456*SHP-1001*ODFL', 'B10***ODFL'), 'L11*BOL-778899*BM~', ''),
    'SE*24*0001',
    'SE*23*0001',
  ),
  /^X12_MISSING_FIELD$/,
  /^B10-02: got "", expected a shipment identification/,
);
x12(
  '945 without W06',
  replaceOnce(
    replaceOnce(t945, 'W06*F*ORD-5521*20240412*SHP-5521***MBOL-1~', ''),
    'SE*14*0001',
    'SE*13*0001',
  ),
  /^X12_MISSING_SEGMENT$/,
  /^W06: got "", expected a W06/,
);
x12(
  '945 without W12',
  t945.replace(/LX\*\d~W12\*[^~]*~/g, '').replace('SE*14*0001', 'SE*8*0001'),
  /^X12_MISSING_SEGMENT$/,
  /^W12: got "", expected at least one W12/,
);
x12(
  '945 W12 shipped "ten"',
  replaceOnce(t945, 'W12*PR*24*18*6', 'W12*PR*24*ten*6'),
  /^X12_BAD_NUMBER$/,
  /^W12-03: got "ten", expected a decimal number/,
);
x12(
  '945 W12 ordered "1,000"',
  replaceOnce(t945, 'W12*PR*24*18*6', 'W12*PR*1,000*18*6'),
  /^X12_BAD_NUMBER$/,
  /^W12-02: got "1,000", expected a decimal number/,
);
x12(
  '945 W12 without product id',
  replaceOnce(t945, 'W12*CL*5*5**EA**VN*SKU-GREEN', 'W12*CL*5*5**EA'),
  /^X12_MISSING_FIELD$/,
  /^W12-08: got "", expected a product id/,
);
x12(
  '945 G62 date bad',
  replaceOnce(t945, 'G62*11*20240412', 'G62*11*20240431'),
  /^X12_BAD_DATE$/,
  /^G62\*11-02: got "20240431"/,
);
x12(
  '856 without BSN',
  replaceOnce(replaceOnce(t856, 'BSN*00**030619*1235~', ''), 'SE*34*0001', 'SE*33*0001'),
  /^X12_MISSING_SEGMENT$/,
  /^BSN: got ""/,
);
x12(
  '856 without any shipment id',
  t856
    .replace(/REF\*(BM|PK|CN)\*\d+~\s*/g, '')
    .replace(/PRF\*\w+\*\d+~\s*/g, '')
    .replace('SE*34*0001', 'SE*29*0001'),
  /^X12_MISSING_FIELD$/,
  /^BSN-02: got "", expected a shipment id/,
);
x12(
  'garbage before ISA',
  `HELLO\n${t214}`,
  /^X12_NO_ISA$/,
  /^expected an ISA interchange header at line 1, got "HELLO/,
  'x12',
);
x12('only "ISA"', 'ISA', /^X12_BAD_SEPARATOR$/, /^ISA element separator: got ""/);
x12(
  'ISA cut after 5 elements',
  'ISA*00*          *00*          *02*ODFL',
  /^X12_ISA_TRUNCATED$/,
  /^ISA header: found \d+ of 16 elements/,
);
x12(
  'ISA with a letter as separator',
  t214.replaceAll('*', 'X'),
  /^X12_BAD_SEPARATOR$/,
  /^ISA element separator: got "X"/,
);
x12(
  'terminator equal to the separator',
  t214.slice(0, 105).replace(/>$/, '*') + t214.slice(105).replaceAll('~', '*'),
  /^X12_BAD_SEPARATOR$/,
  /^ISA segment terminator: got "\*"/,
);
x12(
  'segment outside a set',
  replaceOnce(t214, 'GE*2*905~', 'N1*SH*STRAY~GE*2*905~'),
  /^X12_ENVELOPE$/,
  /^segment N1 outside a transaction set/,
);
x12(
  'ST before GS',
  replaceOnce(t214, 'GS*QM*ODFL*DOCKSIDE*20240305*1502*905*X*004010~', ''),
  /^X12_ENVELOPE$/,
  /^ST outside a functional group/,
);
x12(
  'huge segment (100k)',
  replaceOnce(t214, 'N1*SH*ACME DC EAST', `N1*SH*${'A'.repeat(100_000)}`),
  /^X12_SEGMENT_TOO_LONG$/,
  /^ST 0001: segment \d+: 100\d+ bytes, expected at most 65536/,
);
x12(
  'huge segment (1 MiB)',
  replaceOnce(t945, 'N1*ST*CORNER SHOP', `N1*ST*${'B'.repeat(1 << 20)}`),
  /^X12_SEGMENT_TOO_LONG$/,
  /expected at most 65536 bytes per segment/,
);
for (const [name, bytes] of badUtf8.slice(0, 4)) {
  const [head, tail] = t214.split('ACME DC EAST');
  x12(
    `invalid UTF-8 in a segment: ${name}`,
    Buffer.concat([Buffer.from(head ?? '', 'latin1'), Buffer.from(bytes), Buffer.from(tail ?? '', 'latin1')]),
    /^INVALID_UTF8$/,
    /^ST 0001: segment 7: got "bytes 0x[0-9a-f]{2}.* at byte 6", expected valid UTF-8 text/,
  );
}

// ---------------------------------------------------------------- EPCIS
const epcisEvent = {
  type: 'ObjectEvent',
  eventTime: '2024-05-01T10:00:00Z',
  eventTimeZoneOffset: '+02:00',
  action: 'OBSERVE',
  bizStep: 'shipping',
  readPoint: { id: 'urn:epc:id:sgln:4012345.00001.7' },
  epcList: ['urn:epc:id:sgtin:4012345.011111.1'],
};
const doc = (events: unknown[]) =>
  JSON.stringify({
    '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'],
    type: 'EPCISDocument',
    schemaVersion: '2.0',
    epcisBody: { eventList: events },
  });
const epcis = (
  name: string,
  content: string | Buffer,
  code: RegExp,
  reason: RegExp,
  limits?: Case['limits'],
) =>
  add({
    name: `epcis: ${name}`,
    ext: 'jsonld',
    content,
    code,
    reason,
    format: 'epcis',
    ...(limits ? { limits } : {}),
  });
epcis('not JSON', '{"type":"EPCISDocument", epcisBody', /^JSON_INVALID$/, /^document: not valid JSON/);
epcis('a JSON array', '[1,2,3]', /^EPCIS_NOT_A_DOCUMENT$/, /\(input\): got \[1,2,3\], expected object/);
epcis(
  'wrong document type',
  JSON.stringify({ type: 'EPCISMasterDataDocument', epcisBody: {} }),
  /^EPCIS_NOT_A_DOCUMENT$/,
  /^type: got "EPCISMasterDataDocument", expected one of "?EPCISDocument"?, "?EPCISQueryDocument/,
);
epcis(
  'no epcisBody',
  JSON.stringify({ type: 'EPCISDocument' }),
  /^EPCIS_NOT_A_DOCUMENT$/,
  /^epcisBody: got undefined \(missing\), expected object/,
);
epcis(
  'eventList not an array',
  JSON.stringify({ type: 'EPCISDocument', epcisBody: { eventList: { a: 1 } } }),
  /^EPCIS_NOT_A_DOCUMENT$/,
  /^epcisBody\.eventList: got \{"a":1\}, expected array/,
);
epcis(
  'no eventList',
  JSON.stringify({ type: 'EPCISDocument', epcisBody: {} }),
  /^EPCIS_NOT_A_DOCUMENT$/,
  /^epcisBody\.eventList: got undefined/,
);
for (const type of ['FooEvent', 'objectevent', 'ObjectEvent ', '']) {
  epcis(
    `event type ${JSON.stringify(type)}`,
    doc([{ ...epcisEvent, type }]),
    /^EPCIS_EVENT_TYPE_UNKNOWN$/,
    /^eventList\[0\]\.type: got ".*", expected one of "?ObjectEvent"?, "?AggregationEvent/,
  );
}
for (const t of ['2005-13-01T00:00:00Z', 'yesterday', '2024-05-01T10:00:00', '2024-05-01']) {
  epcis(
    `eventTime ${t}`,
    doc([{ ...epcisEvent, eventTime: t }]),
    /^EPCIS_INVALID$/,
    /^eventList\[0\]\.eventTime: got/,
  );
}
for (const off of ['+25:00', '0100', '+1:00', 'Z']) {
  epcis(
    `eventTimeZoneOffset ${off}`,
    doc([{ ...epcisEvent, eventTimeZoneOffset: off }]),
    /^EPCIS_INVALID$/,
    /^eventList\[0\]\.eventTimeZoneOffset: got .*, expected an offset ±HH:MM/,
  );
}
epcis(
  'no eventTimeZoneOffset',
  doc([{ ...epcisEvent, eventTimeZoneOffset: undefined }]),
  /^EPCIS_INVALID$/,
  /eventTimeZoneOffset: got undefined/,
);
epcis(
  'custom bizStep',
  doc([{ ...epcisEvent, bizStep: 'urn:example:bizstep:teleporting' }]),
  /^EPCIS_UNMAPPED_BIZSTEP$/,
  /^bizStep: got "urn:example:bizstep:teleporting"/,
);
epcis(
  'shipping without a location',
  doc([{ ...epcisEvent, readPoint: undefined }]),
  /^EPCIS_NO_LOCATION$/,
  /^bizLocation: got undefined \(missing\), expected a bizLocation or readPoint id/,
);
epcis(
  'nothing identifies the subject',
  doc([{ ...epcisEvent, readPoint: undefined, epcList: [], bizStep: 'receiving' }]),
  /^EPCIS_NO_SUBJECT$/,
  /^bizTransactionList: got undefined/,
);
epcis(
  'negative quantity',
  doc([{ ...epcisEvent, quantityList: [{ epcClass: 'urn:x', quantity: -5 }] }]),
  /^EPCIS_INVALID$/,
  /quantityList\.0\.quantity: got -5, expected number >= 0/,
);
epcis(
  'quantity a string',
  doc([{ ...epcisEvent, quantityList: [{ epcClass: 'urn:x', quantity: '5' }] }]),
  /^EPCIS_INVALID$/,
  /quantityList\.0\.quantity: got "5", expected number/,
);
epcis('event null', doc([null]), /^EPCIS_INVALID$/, /^eventList\[0\]: got null, expected object/);
epcis('event a number', doc([7]), /^EPCIS_INVALID$/, /^eventList\[0\]: got 7, expected object/);
epcis(
  'bizTransactionList of strings',
  doc([{ ...epcisEvent, bizTransactionList: ['po-1'] }]),
  /^EPCIS_INVALID$/,
  /bizTransactionList\.0: got "po-1", expected object/,
);
epcis(
  'readPoint without id',
  doc([{ ...epcisEvent, readPoint: { name: 'door' } }]),
  /^EPCIS_INVALID$/,
  /readPoint\.id: got undefined/,
);
epcis(
  'document nested 100 deep',
  doc([{ ...epcisEvent, ilmd: JSON.parse(`${'{"a":'.repeat(100)}1${'}'.repeat(100)}`) }]),
  /^JSON_TOO_DEEP$/,
  /^document: nesting deeper than 64 levels/,
);
epcis(
  'invalid UTF-8 document',
  Buffer.concat([
    Buffer.from(doc([epcisEvent]).slice(0, 40)),
    Buffer.from([0xff, 0xfe]),
    Buffer.from(doc([epcisEvent]).slice(40)),
  ]),
  /^INVALID_UTF8$/,
  /^document: invalid UTF-8 at byte 40/,
);
epcis(
  'document over the size cap',
  doc([epcisEvent, epcisEvent, epcisEvent]),
  /^DOCUMENT_TOO_LARGE$/,
  /^document: \d+ bytes, expected at most 256 bytes/,
  { maxDocumentBytes: 256 },
);
epcis(
  'an error declaration with a bad time',
  doc([{ ...epcisEvent, errorDeclaration: { declarationTime: 'later' } }]),
  /^EPCIS_INVALID$/,
  /errorDeclaration\.declarationTime: got "later"/,
);

// ---------------------------------------------------------------- CSV with the example mapping
const header =
  'shipment_id,order_id,customer,tier,dc,origin_state,dest_state,created_at,ship_by,deliver_by,lines,status,shipped_at,delivered_at,updated_at';
const goodRow =
  'S-9,O-9,C-9,GOLD,DC-1,IL,WI,2024-03-09 09:00:00,2024-03-10 17:00:00,2024-03-12,SKU-1:2,open,,,';
const csv = (name: string, body: string | Buffer, code: RegExp, reason: RegExp, limits?: Case['limits']) =>
  add({
    name: `csv: ${name}`,
    ext: 'csv',
    content:
      typeof body === 'string' ? `${header}\n${body}\n` : Buffer.concat([Buffer.from(`${header}\n`), body]),
    code,
    reason,
    csv: true,
    ...(limits ? { limits } : {}),
  });
for (const [name, value] of [
  ['Feb 30', '2024-02-30 09:00:00'],
  ['month 13', '2024-13-09 09:00'],
  ['words', 'last tuesday'],
  ['US format', '03/09/2024 09:00'],
  ['hour 24', '2024-03-09 24:00:00'],
]) {
  csv(
    `created_at ${name}`,
    goodRow.replace('2024-03-09 09:00:00', value ?? ''),
    /^CSV_BAD_TIMESTAMP$/,
    /^column created_at: got ".*", expected a timestamp YYYY-MM-DD/,
  );
}
csv(
  'deliver_by not a date',
  goodRow.replace('2024-03-12', 'soon'),
  /^CSV_BAD_TIMESTAMP$/,
  /^column deliver_by: got "soon"/,
);
csv(
  'lines qty not a number',
  goodRow.replace('SKU-1:2', 'SKU-1:two'),
  /^CSV_BAD_NUMBER$/,
  /^column lines qty of SKU-1: got "two", expected a decimal number/,
);
csv(
  'lines without qty',
  goodRow.replace('SKU-1:2', 'SKU-1'),
  /^CSV_BAD_LINES$/,
  /^column lines: got "SKU-1", expected lines as sku:qty/,
);
csv(
  'unknown tier',
  goodRow.replace('GOLD', 'PLATINUM'),
  /^CSV_UNMAPPED_VALUE$/,
  /^column tier: got "PLATINUM", expected one of GOLD, SILVER, BRONZE/,
);
csv(
  'empty shipment_id (id template)',
  goodRow.replace('S-9', ''),
  /^CSV_EMPTY_VALUE$/,
  /^column shipment_id: got "", expected a value \(used in the id template/,
);
csv(
  'missing customer',
  goodRow.replace('C-9', ''),
  /^EVENT_INVALID$/,
  /customerId: got undefined \(missing\)/,
);
csv(
  'too few fields',
  'S-9,O-9,C-9',
  /^CSV_RECORD_INCONSISTENT_FIELDS_LENGTH$/,
  /Invalid Record Length: expect 15, got 3 on line 2/,
);
csv(
  'too many fields',
  `${goodRow},extra`,
  /^CSV_RECORD_INCONSISTENT_FIELDS_LENGTH$/,
  /expect 15, got 16 on line 2/,
);
csv(
  'unclosed quote',
  `${goodRow.replace('S-9', '"S-9')}\n${goodRow}`,
  /^CSV_QUOTE_NOT_CLOSED$/,
  /Quote Not Closed/,
);
csv(
  'invalid UTF-8 in a cell',
  Buffer.concat([Buffer.from(goodRow.replace('C-9', 'C-')), Buffer.from([0xff]), Buffer.from('\n')]),
  /^INVALID_UTF8$/,
  /^line 2: column .*: got "bytes 0xff/,
);
csv('giant record', goodRow.replace('C-9', 'C'.repeat(200_000)), /^CSV_MAX_RECORD_SIZE$/, /Max Record Size/, {
  maxLineBytes: 65_536,
});

add({
  name: 'csv: duplicate header column',
  ext: 'csv',
  content: `shipment_id,shipment_id\nS-1,S-2\n`,
  code: /^CSV_BAD_HEADER$/,
  reason: /^CSV header: column "shipment_id" appears twice/,
  csv: true,
  singleRecord: true,
});

// ---------------------------------------------------------------- literal files in test/ingest/hostile/
const literal: Record<string, [RegExp, RegExp]> = {
  'truncated-214.edi': [/^X12_TRUNCATED$/, /^ST 0001 \(214\) has no SE trailer: the file ended/],
  'wrong-se-count-945.edi': [/^X12_COUNT_MISMATCH$/, /^SE01: got "12", expected "14"/],
  'invalid-utf8.ndjson': [/^INVALID_UTF8$/, /^line 1: got "bytes 0xff 0xfe/],
  'deep.ndjson': [/^JSON_TOO_DEEP$/, /^line 1: nesting deeper than 64 levels/],
  'garbage.edi': [/^X12_NO_ISA$/, /^expected an ISA interchange header/],
  'unknown-event-type.jsonld': [/^EPCIS_EVENT_TYPE_UNKNOWN$/, /^eventList\[0\]\.type: got "TeleportEvent"/],
  'bad-dates.csv': [/^CSV_BAD_TIMESTAMP$/, /^column created_at: got "2024-02-30 09:00:00"/],
};
for (const [file, [code, reason]] of Object.entries(literal)) {
  add({
    name: `literal: ${file}`,
    ext: path.extname(file).slice(1),
    content: readFileSync(path.join(repoRoot, 'test/ingest/hostile', file)),
    code,
    reason,
    csv: file.endsWith('.csv'),
  });
}

// ---------------------------------------------------------------- run
let dir: string;
let mapping: Mapping;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'dockside-hostile-'));
  mapping = await loadMapping(path.join(repoRoot, 'mappings/shipments.example.yaml'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hostile corpus', () => {
  it('has at least 200 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(200);
  });

  it.each(cases.map((c, i) => [c.name, i] as const))('%s', async (_name, i) => {
    const c = cases[i];
    if (!c) throw new Error(`no case ${i}`);
    const file = path.join(dir, `case-${i}.${c.ext}`);
    writeFileSync(file, c.content);
    const options: ConvertOptions = {
      format: c.format ?? 'auto',
      localZone: parseZone('UTC'),
      ...(c.csv ? { mapping } : {}),
      ...c.limits,
    };
    const results = await collect(convertFiles([file], options));
    // `import` reads the batched path: it must yield exactly the same records.
    expect((await collect(convertFilesBatched([file], options))).flat()).toEqual(results);
    const rejections = rejectionsOf(results);
    expect(rejections.length).toBeGreaterThan(0);
    for (const r of rejections) {
      expect(r.code).not.toBe('');
      expect(r.position).not.toBe('');
      expect(r.reason.length).toBeGreaterThan(10);
    }
    const seen = rejections.map((r) => `${r.code}: ${r.reason}`).join('\n');
    expect(
      rejections.some((r) => c.code.test(r.code) && c.reason.test(r.reason)),
      `expected ${c.code} / ${c.reason} among:\n${seen}`,
    ).toBe(true);
    if (c.singleRecord) expect(results).toHaveLength(1);
  });
});
