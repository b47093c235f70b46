import { useApi } from '../shared/poll.ts';
import { ColumnHeads, num } from '../shared/table.tsx';
import { Panel, Scroll } from './panels.tsx';
import { count, time } from './status.tsx';
import type { BudgetLine, FeedLine, FindingGroup, QualityAnswer } from './types.ts';

/** How often the page asks GET /api/quality again (its figures move slowly; the queries scan history). */
export const QUALITY_REFRESH_MS = 30_000;
/** Alert-budget rows shown per table: the highest rates. */
export const BUDGET_ROWS = 10;

const rate = (n: number | null) =>
  n === null ? '—' : n.toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });

/**
 * Data quality on the operations page (GET /api/quality): what each feed sends and whether missing_pod
 * applies to it, data-quality findings per source and code, and the alert budget's highest rates.
 */
export function Quality() {
  const { data, error } = useApi<QualityAnswer>('/api/quality', QUALITY_REFRESH_MS);
  return (
    <>
      {error ? (
        <p class="error" role="alert">
          The data-quality figures could not be refreshed: {error}
        </p>
      ) : null}
      {data ? (
        <>
          <div class="ops-two">
            <Feeds rows={data.feeds} />
            <Findings rows={data.findings} />
          </div>
          <Budget data={data.alertBudget} />
        </>
      ) : error ? null : (
        <p class="empty">Loading the data-quality figures…</p>
      )}
    </>
  );
}

function Feeds(props: { rows: readonly FeedLine[] }) {
  return (
    <Panel id="ops-feeds" title="Feeds">
      {props.rows.length === 0 ? (
        <p class="ops-small">No source has reported a delivery yet.</p>
      ) : (
        <ul class="ops-feeds" aria-label="What each source sends">
          {props.rows.map((f) => (
            <li key={f.source} data-source={f.source} data-missing-pod={f.missingPod} data-state={f.state}>
              <span class="ops-feed-text">{f.text}</span>
              <span class="ops-small">
                {count(f.deliveries)} deliveries, {count(f.pods)} with a POD
              </span>
            </li>
          ))}
        </ul>
      )}
    </Panel>
  );
}

function Findings(props: { rows: readonly FindingGroup[] }) {
  return (
    <Panel id="ops-findings" title="Data-quality findings">
      {props.rows.length === 0 ? (
        <p class="ops-small">No accepted event had a finding.</p>
      ) : (
        <Scroll label="Data-quality findings by source and code">
          <table id="ops-findings-table">
            <caption class="sr-only">
              Accepted events that say something odd, by source and code: how many, and the latest one's event
              and reason.
            </caption>
            <thead>
              <tr>
                <ColumnHeads columns={['Source', 'Code', num('Events'), 'Latest']} />
              </tr>
            </thead>
            <tbody>
              {props.rows.map((g) => (
                <tr key={`${g.source}/${g.code}`} data-source={g.source} data-code={g.code}>
                  <td class="ops-mono">{g.source}</td>
                  <td class="ops-mono">{g.code}</td>
                  <td class="num">{count(g.count)}</td>
                  <td>
                    <span class="ops-mono">{g.latestEventId}</span>{' '}
                    <span class="ops-small">({time(g.latestAt)})</span>
                    <span class="ops-finding-reason">{g.latestReason}</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Scroll>
      )}
    </Panel>
  );
}

function Budget(props: { data: QualityAnswer['alertBudget'] }) {
  const { window: w, bySource, byWarehouse } = props.data;
  return (
    <Panel id="ops-budget" title="Alert budget">
      {w.from === null ? (
        <p class="ops-small">No exception stored yet.</p>
      ) : (
        <>
          <p class="ops-small">
            Exceptions per 100 committed shipments, by type, from {time(w.from)} to {time(w.to)} (exception
            time); the {BUDGET_ROWS} highest rates of each kind.
          </p>
          <div class="ops-two">
            <BudgetTable
              id="ops-budget-source"
              label="Alert budget by source"
              subject="Source"
              rows={bySource.map((r) => ({ ...r, subject: r.source }))}
            />
            <BudgetTable
              id="ops-budget-warehouse"
              label="Alert budget by warehouse"
              subject="Warehouse"
              rows={byWarehouse.map((r) => ({ ...r, subject: r.warehouse }))}
            />
          </div>
        </>
      )}
    </Panel>
  );
}

function BudgetTable(props: {
  id: string;
  label: string;
  subject: string;
  rows: readonly (BudgetLine & { subject: string })[];
}) {
  const top = props.rows.slice(0, BUDGET_ROWS);
  if (top.length === 0) return <p class="ops-small">{props.label}: no exception in this window.</p>;
  return (
    <Scroll label={props.label}>
      <table id={props.id}>
        <caption class="sr-only">{props.label}: the highest rates first.</caption>
        <thead>
          <tr>
            <ColumnHeads
              columns={[props.subject, 'Type', num('Exceptions'), num('Shipments'), num('Per 100')]}
            />
          </tr>
        </thead>
        <tbody>
          {top.map((r) => (
            <tr key={`${r.subject}/${r.type}`} data-subject={r.subject} data-type={r.type}>
              <td class="ops-mono">{r.subject}</td>
              <td class="ops-mono">{r.type}</td>
              <td class="num">{count(r.exceptions)}</td>
              <td class="num">{count(r.shipments)}</td>
              <td class="num">{rate(r.per100)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Scroll>
  );
}
