import { ColumnHeads, num } from '../shared/table.tsx';
import { modelName, pct, ratio, when } from './format.ts';
import { LiveCheck } from './live.tsx';
import type { LiveAnswer, ModelAccuracy, Series } from './types.ts';

/**
 * The model behind a lane's forecast and its backtest beside seasonal naive's: the served model (the
 * ensemble, with its members' weights), the per-lane selection, and the baseline, each with MAPE, WAPE
 * and MASE over the same rolling-origin folds; then the live check against the simpler forecasts.
 */
function Row(props: { label: string; a: ModelAccuracy | undefined }) {
  const { a } = props;
  return (
    <tr data-model={a?.model}>
      <th scope="row">
        {props.label} <span class="fc-muted">{modelName(a?.model)}</span>
      </th>
      <td class="num">{pct(a?.mape)}</td>
      <td class="num">{pct(a?.wape)}</td>
      <td class="num">{ratio(a?.mase)}</td>
    </tr>
  );
}

export function ModelPanel(props: { series: Series; live: LiveAnswer | undefined }) {
  const s = props.series;
  const served = s.accuracy.find((a) => a.role === 'served');
  const selected = s.accuracy.find((a) => a.model === s.selectedModel);
  const baseline = s.accuracy.find((a) => a.role === 'baseline');
  const weights = Object.entries(s.ensembleWeights)
    .filter(([, w]) => w > 0)
    .sort((a, b) => b[1] - a[1]);
  const tested = (served?.points ?? 0) > 0;
  const better =
    served?.wape != null && baseline?.wape != null && baseline.wape > 0
      ? 1 - served.wape / baseline.wape
      : null;
  return (
    <section class="pane fc-model" aria-labelledby="fc-model-title">
      <h2 id="fc-model-title">Model and backtest</h2>
      <p>
        Served: <strong>{modelName(s.model)}</strong>
        {weights.length > 0 && <> of {weights.map(([m, w]) => `${modelName(m)} ${pct(w)}`).join(', ')}</>}.
        Chosen for this lane:{' '}
        <strong data-selected-model={s.selectedModel ?? ''}>{modelName(s.selectedModel)}</strong>.
      </p>
      {tested ? (
        <>
          <table class="fc-metrics">
            <caption class="sr-only">
              Backtest accuracy of the served model, the chosen model and seasonal naive
            </caption>
            <thead>
              <tr>
                <ColumnHeads
                  columns={[
                    'Model',
                    num(<abbr title="mean absolute percentage error">MAPE</abbr>),
                    num(<abbr title="weighted absolute percentage error">WAPE</abbr>),
                    num(
                      <abbr title="mean absolute scaled error (1 = as good as seasonal naive in-sample)">
                        MASE
                      </abbr>,
                    ),
                  ]}
                />
              </tr>
            </thead>
            <tbody>
              <Row label="Served" a={served} />
              {selected && selected.model !== served?.model && <Row label="Chosen" a={selected} />}
              <Row label="Baseline" a={baseline} />
            </tbody>
          </table>
          <p class="fc-muted">
            {better === null
              ? 'No comparison with seasonal naive (no volume in the folds).'
              : better >= 0
                ? `${pct(better)} less error (WAPE) than seasonal naive`
                : `${pct(-better)} more error (WAPE) than seasonal naive`}
            , over {served?.folds} folds ({served?.points} days), backtested {when(s.backtestedAt)}.
          </p>
        </>
      ) : (
        <p class="fc-muted">
          Not backtested yet: the lane's history is too short for a test fold of {s.horizon} days.
        </p>
      )}
      <LiveCheck live={props.live} lane={s.lane} warehouse={s.warehouse} />
    </section>
  );
}
