import type { BacktestReport } from './report.ts';

/** The served forecast against its peers, per data set, and with --rolling the WAPE spread over origins. */
const pct = (v: number | null | undefined) =>
  v === null || v === undefined ? '-' : `${(v * 100).toFixed(1)}%`;

export function servedText(report: BacktestReport): string[] {
  const s = report.served;
  const out = [
    '',
    `Served forecast (${s.model}) against its peers (aggregate WAPE; target: ≥ 5% below the best peer):`,
  ];
  for (const [name, set] of Object.entries(s.dataSets)) {
    const peers = s.peers.map((m) => `${m} ${pct(set.wape[m])}`).join(', ');
    out.push(
      `  ${name} (${set.lanes} series): served ${pct(set.wape.served)}; ${peers}; best peer ${set.bestPeer ?? '-'} → served ${pct(set.servedVsBestPeer)} better (${set.meetsTarget ? 'MET' : 'NOT MET'})`,
    );
  }
  if (s.missingPeers.length > 0) out.push(`  peers not run: ${s.missingPeers.join(', ')}`);
  const rolling = report.rolling;
  if (rolling) {
    out.push(
      '',
      `Rolling: ${rolling.origins.length} origins ${rolling.step} days apart (${rolling.origins[0]} … ${rolling.origins.at(-1)}), H = ${rolling.horizon}; WAPE median [p25, p75] over origins, share of origins where ${rolling.served} beats the peer:`,
    );
    for (const [name, set] of Object.entries(rolling.dataSets)) {
      out.push(`  ${name}:`);
      for (const [model, d] of Object.entries(set.distribution)) {
        const beats = set.servedBeats[model];
        out.push(
          `    ${model.padEnd(16)} ${pct(d.median)} [${pct(d.p25)}, ${pct(d.p75)}]${beats === undefined ? '' : `  served beats it at ${pct(beats)} of origins`}`,
        );
      }
    }
  }
  return out;
}
