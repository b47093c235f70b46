import { modelName, pct } from './format.ts';
import type { LiveAnswer } from './types.ts';

/**
 * The lane's live check, under its backtest: the served forecast's error over the last complete days
 * against the simpler forecasts stored beside it (naive, seasonal naive, the 28-day mean), on the same
 * days and lead. It says plainly when a simpler forecast has been doing better, and how often the bands
 * held the actuals (an 80 % band should hold about 80 % of the days). It reports and never switches:
 * switching on a lane's recent record made forecasts worse on the Olist development data.
 */
export function LiveCheck(props: { live: LiveAnswer | undefined; lane: string; warehouse: string }) {
  const { live } = props;
  if (!live) return null;
  const lane = live.data.find((l) => l.lane === props.lane && l.warehouse === props.warehouse);
  if (!live.window || !lane || lane.served === null) {
    return (
      <p class="fc-muted" id="fc-live" data-live="none">
        Live check: no day of this lane's forecasts has ended yet; each is scored against the simpler
        forecasts once its actuals are in.
      </p>
    );
  }
  const margin = lane.servedVsBestPeer;
  const bands = Object.entries(lane.coverage).sort(([a], [b]) => Number(a) - Number(b));
  const verdict =
    margin === null || lane.bestPeer === null
      ? 'no comparison (no volume on those days)'
      : margin >= 0
        ? `${pct(margin)} less error than the best simpler forecast (${modelName(lane.bestPeer)})`
        : `${pct(-margin)} more error than ${modelName(lane.bestPeer)} on these days (four weeks of one lane often favour a simpler forecast by chance; a gap that lasts is worth a look)`;
  return (
    <p id="fc-live" data-live={margin === null ? 'none' : margin >= 0 ? 'ahead' : 'behind'}>
      Live, {live.window.from} to {live.window.to} (forecasts 1–{live.window.maxStep} days ahead): served WAPE{' '}
      <strong>{pct(lane.served)}</strong>
      {lane.peers.map((p) => (
        <span key={p.model}>
          {' '}
          · {modelName(p.model)} {pct(p.wape)}
        </span>
      ))}
      . <strong class={margin !== null && margin < 0 ? 'fc-down' : undefined}>{verdict}</strong>.
      {bands.length > 0 && (
        <span data-coverage={bands.map(([l]) => l).join(',')}>
          {' '}
          Bands held the actual on{' '}
          {bands.map(([level, share]) => `${pct(share)} of days (${level} % band)`).join(', ')}.
        </span>
      )}
    </p>
  );
}
