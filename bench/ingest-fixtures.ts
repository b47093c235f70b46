import { writeFileSync } from 'node:fs';

/** Synthetic but realistic inputs for the import benchmark (NDJSON of canonical events, X12 214). */

const iso = (ms: number) => new Date(ms).toISOString();

export function writeNdjson(file: string, n: number): void {
  const t0 = Date.parse('2026-03-01T06:00:00Z');
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const shipmentId = `SHP-B${Math.floor(i / 4)}`;
    const at = iso(t0 + i * 500);
    const k = i % 4;
    const base = { id: `bench-${i}`, occurredAt: at, source: 'bench' };
    if (k === 0) {
      lines.push(
        JSON.stringify({
          ...base,
          type: 'shipment.committed',
          shipmentId,
          customerId: `C${i % 97}`,
          customerTier: 'tier2',
          warehouseId: `WH${i % 6}`,
          lane: `L${i % 48}`,
          promisedShipBy: iso(t0 + i * 500 + 7_200_000),
        }),
      );
    } else if (k === 1) {
      lines.push(
        JSON.stringify({
          ...base,
          type: 'wms.pick',
          shipmentId,
          warehouseId: `WH${i % 6}`,
          sku: `SKU${i % 500}`,
          qtyOrdered: 10,
          qtyPicked: i % 50 === 1 ? 7 : 10,
        }),
      );
    } else if (k === 2) {
      lines.push(JSON.stringify({ ...base, type: 'wms.pack', shipmentId, warehouseId: `WH${i % 6}` }));
    } else {
      lines.push(JSON.stringify({ ...base, type: 'wms.ship_scan', shipmentId, warehouseId: `WH${i % 6}` }));
    }
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
}

const pad = (s: string, n: number) => s.padEnd(n, ' ');

/** One interchange of `sets` 214 transaction sets, each with `perSet` AT7 status loops. */
export function writeX12_214(file: string, sets: number, perSet: number): number {
  const seg: string[] = [];
  seg.push(
    `ISA*00*${pad('', 10)}*00*${pad('', 10)}*02*${pad('ODFL', 15)}*ZZ*${pad('DOCKSIDE', 15)}*260301*0600*U*00401*000000777*0*P*>`,
  );
  seg.push('GS*QM*ODFL*DOCKSIDE*20260301*0600*777*X*004010');
  const codes = ['X3', 'AF', 'X6', 'X1'];
  let statuses = 0;
  for (let s = 1; s <= sets; s++) {
    const control = String(s).padStart(4, '0');
    const body = [
      `ST*214*${control}`,
      `B10*PRO${s}*SHP-X${s}*ODFL`,
      `N1*SH*BENCH DC*93*WH-BENCH`,
      'N4*ATLANTA*GA*30301*US',
      'MS3*ODFL*B**M',
    ];
    for (let l = 1; l <= perSet; l++) {
      const minutes = l * 7;
      const hh = String(6 + Math.floor(minutes / 60)).padStart(2, '0');
      const mm = String(minutes % 60).padStart(2, '0');
      body.push(
        `LX*${l}`,
        `AT7*${codes[(l - 1) % codes.length]}*NS***20260301*${hh}${mm}*ET`,
        'MS1*ATLANTA*GA*US',
      );
      statuses++;
    }
    body.push(`SE*${body.length + 1}*${control}`);
    seg.push(...body);
  }
  seg.push(`GE*${sets}*777`, 'IEA*1*000000777');
  writeFileSync(file, `${seg.join('~\n')}~\n`);
  return statuses;
}
