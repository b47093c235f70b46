import { formatAge, formatTime, formatValue, keyLabel, typeLabel } from './model.ts';

/** `GET /api/exceptions/:id/evidence`. */
export interface Evidence {
  readonly exceptionId: string;
  readonly events: readonly {
    readonly id: string;
    readonly type: string;
    readonly occurredAt: string;
    readonly receivedAt: string;
    readonly source: string;
    readonly fields: Readonly<Record<string, unknown>>;
  }[];
  readonly missing: readonly string[];
  readonly truncated: number;
}

/** Fields every event of a shipment repeats: left out of the one-line summary. */
const REPEATED = new Set(['shipmentId', 'warehouseId', 'customerId', 'customerTier', 'lane', 'region']);
const SUMMARY_FIELDS = 5;

/** `wms.ship_scan` → `WMS ship scan`. */
function eventLabel(type: string): string {
  const [family = '', name = type] = type.split('.');
  const prefix =
    family === 'wms' || family === 'tms' || family === 'crm' ? family.toUpperCase() : typeLabel(family);
  return `${prefix} ${name.replace(/_/g, ' ')}`;
}

/** The events behind an exception in event-time order: when it happened, what, from where, when it arrived. */
export function EvidenceTimeline(p: { evidence: Evidence | undefined; count: number }) {
  const e = p.evidence;
  if (!e) return <p class="bd-muted">{p.count ? 'Loading the evidence…' : 'No evidence events.'}</p>;
  if (!e.events.length && !e.missing.length) return <p class="bd-muted">No evidence events.</p>;
  return (
    <>
      <ol class="bd-timeline" aria-label="Evidence events in event-time order">
        {e.events.map((ev) => {
          const lag = Date.parse(ev.receivedAt) - Date.parse(ev.occurredAt);
          const summary = Object.entries(ev.fields)
            .filter(([k]) => !REPEATED.has(k))
            .slice(0, SUMMARY_FIELDS);
          return (
            <li key={ev.id} data-event-id={ev.id}>
              <div class="bd-tl-head">
                <time dateTime={ev.occurredAt}>{formatTime(ev.occurredAt)}</time> <b>{eventLabel(ev.type)}</b>
              </div>
              <div class="bd-tl-meta">
                from <span class="bd-source">{ev.source || 'unknown source'}</span> · arrived{' '}
                <time dateTime={ev.receivedAt}>{formatTime(ev.receivedAt)}</time>
                {lag >= 1_000 ? ` (${formatAge(lag)} after it happened)` : ''}
              </div>
              {summary.length > 0 && (
                <div class="bd-tl-fields">
                  {summary.map(([k, v]) => (
                    <span key={k}>
                      {keyLabel(k)}: {formatValue(v)}
                    </span>
                  ))}
                </div>
              )}
              <code class="bd-id">{ev.id}</code>
            </li>
          );
        })}
      </ol>
      {e.missing.length > 0 && (
        <p class="bd-muted">
          Not stored (yet): <code>{e.missing.join(', ')}</code>
        </p>
      )}
      {e.truncated > 0 && <p class="bd-muted">{e.truncated} more evidence events not shown.</p>}
    </>
  );
}
