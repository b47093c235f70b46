import { useEffect, useState } from 'preact/hooks';
import { api, errorText } from '../shared/api.ts';
import { can, useMe } from '../shared/session.ts';
import { useNow } from './clock.ts';
import { type Evidence, EvidenceTimeline } from './evidence.tsx';
import {
  type Exception,
  formatAge,
  formatTime,
  formatValue,
  handlingKeys,
  keyLabel,
  typeLabel,
} from './model.ts';
import { type Approval, type History, type Write, WritebackState } from './writeback.tsx';

export interface DetailProps {
  readonly id: string;
  /** The state on the board, if it is there (kept current by the live feed). */
  readonly known: Exception | undefined;
  readonly canAct: boolean;
  readonly busy: boolean;
  onClose(): void;
  onAssignMe(): void;
  onAssignTo(): void;
  onResolve(): void;
}

interface Loaded {
  readonly evidence?: Evidence;
  readonly history?: History;
  readonly approvals?: readonly Approval[];
  readonly writes?: readonly Write[];
}

const enc = encodeURIComponent;

/**
 * One exception: what broke and where, confidence and why, who handles it, the evidence timeline, and the
 * policy's decision with the write-back state. Reloads its parts when a newer state of it arrives.
 */
export function Detail(p: DetailProps) {
  const me = useMe();
  const now = useNow(1_000);
  const [fetched, setFetched] = useState<Exception | undefined>();
  const [loaded, setLoaded] = useState<Loaded>({});
  const [error, setError] = useState<string | undefined>();
  const ex = pickNewer(p.known, fetched?.id === p.id ? fetched : undefined);
  const version = ex?.version ?? 0;

  useEffect(() => {
    let current = true;
    setError(undefined);
    setFetched(undefined);
    setLoaded({});
    api<Exception>(`/api/exceptions/${enc(p.id)}`).then(
      (e) => current && setFetched(e),
      (err: unknown) => current && setError(errorText(err)),
    );
    return () => {
      current = false;
    };
  }, [p.id]);

  useEffect(() => {
    let current = true;
    const id = enc(p.id);
    const part = <K extends keyof Loaded>(key: K, path: string, pick: (v: never) => Loaded[K]) =>
      api<never>(path).then(
        (v) => current && setLoaded((l) => ({ ...l, [key]: pick(v) })),
        () => undefined,
      );
    void part('evidence', `/api/exceptions/${id}/evidence`, (v: Evidence) => v);
    void part('history', `/api/exceptions/${id}/writeback`, (v: History) => v);
    if (can(me, 'approvals:read'))
      void part('approvals', `/api/approvals?exceptionId=${id}`, (v: { items: Approval[] }) => v.items);
    if (can(me, 'writebacks:read'))
      void part('writes', `/api/writebacks?exceptionId=${id}`, (v: { items: Write[] }) => v.items);
    return () => {
      current = false;
    };
  }, [p.id, version]);

  if (!ex) {
    return (
      <aside class="pane bd-detail" aria-label="Exception detail">
        <CloseButton onClose={p.onClose} />
        <p class={error ? 'error' : 'bd-muted'}>{error ?? 'Loading the exception…'}</p>
      </aside>
    );
  }
  const why = Object.entries(ex.details).filter(([k]) => !handlingKeys.has(k));
  const assignedBy = typeof ex.details.assignedBy === 'string' ? ex.details.assignedBy : undefined;
  const resolvedBy = typeof ex.details.resolvedBy === 'string' ? ex.details.resolvedBy : undefined;
  const facts: [string, string | undefined][] = [
    ['Shipment', ex.shipmentId],
    ['Warehouse', ex.warehouseId],
    ['Lane', ex.lane],
    ['Customer', ex.customerId && `${ex.customerId}${ex.customerTier ? ` (${ex.customerTier})` : ''}`],
    ['SKU', ex.sku],
    ['Promise broke', `${formatTime(ex.occurredAt)} · ${formatAge(now - Date.parse(ex.occurredAt))} ago`],
    ['Detected', formatTime(ex.detectedAt)],
  ];
  return (
    <aside class="pane bd-detail" aria-labelledby="detail-title" data-exception-id={ex.id}>
      <div class="bd-detail-head">
        <h2 id="detail-title">
          {typeLabel(ex.type)} <span class={`sev sev-${ex.severity}`}>{ex.severity}</span>
        </h2>
        <CloseButton onClose={p.onClose} />
      </div>
      <p class="bd-chips">
        <span class="chip" data-status={ex.status}>
          {ex.status}
        </span>{' '}
        <code class="bd-id">{ex.id}</code>
      </p>
      {p.canAct && ex.status !== 'resolved' && (
        <fieldset class="bd-actions">
          <legend class="sr-only">Act on this exception</legend>
          <button type="button" class="primary" disabled={p.busy} onClick={p.onAssignMe}>
            Assign to me
          </button>
          <button type="button" disabled={p.busy} onClick={p.onAssignTo}>
            Assign to…
          </button>
          <button type="button" disabled={p.busy} onClick={p.onResolve}>
            Resolve…
          </button>
        </fieldset>
      )}
      <dl class="bd-facts">
        {facts
          .filter((f): f is [string, string] => Boolean(f[1]))
          .map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{v}</dd>
            </div>
          ))}
      </dl>

      <h3>Confidence and why</h3>
      <p class="bd-confidence">
        <meter id="confidence" min={0} max={1} value={ex.confidence} aria-label="Confidence" />{' '}
        <b>{Math.round(ex.confidence * 100)}%</b> confidence
      </p>
      {why.length ? (
        <dl class="bd-facts bd-why">
          {why.map(([k, v]) => (
            <div key={k}>
              <dt>{keyLabel(k)}</dt>
              <dd>{formatValue(v)}</dd>
            </div>
          ))}
        </dl>
      ) : (
        <p class="bd-muted">No further details.</p>
      )}

      <h3>Handling</h3>
      <ul class="bd-handling">
        <li>
          {ex.assignedTo ? (
            <>
              Assigned to <b>{ex.assignedTo}</b>
              {assignedBy ? ` by ${assignedBy}` : ''}
              {ex.assignedAt ? ` · ${formatTime(ex.assignedAt)}` : ''}
            </>
          ) : (
            'Not assigned'
          )}
        </li>
        {ex.status === 'resolved' && (
          <li>
            Resolved{resolvedBy ? ` by ${resolvedBy}` : ''}
            {ex.resolvedAt ? ` · ${formatTime(ex.resolvedAt)}` : ''}
            {ex.resolution ? (
              <>
                : <q>{ex.resolution}</q>
              </>
            ) : null}
          </li>
        )}
      </ul>

      <h3>Evidence</h3>
      <EvidenceTimeline evidence={loaded.evidence} count={ex.evidence.length} />

      <h3>Policy decision and write-back</h3>
      <WritebackState history={loaded.history} approvals={loaded.approvals} writes={loaded.writes} />
    </aside>
  );
}

function CloseButton(p: { onClose(): void }) {
  return (
    <button type="button" class="link bd-close" aria-keyshortcuts="Escape" onClick={p.onClose}>
      Close <span class="bd-muted">(Esc)</span>
    </button>
  );
}

function pickNewer(a: Exception | undefined, b: Exception | undefined): Exception | undefined {
  if (!a) return b;
  if (!b) return a;
  return a.version >= b.version ? a : b;
}
