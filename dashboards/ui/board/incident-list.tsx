import { useState } from 'preact/hooks';
import { useNow } from './clock.ts';
import {
  customerText,
  domId,
  type Incident,
  type IncidentAction,
  type IncidentDetail,
  memberText,
  splitMembers,
} from './incidents.ts';
import { comparator, type Exception, type Filters, formatAge, rowOf, typeLabel } from './model.ts';
import { ExceptionHead, ExceptionRow } from './row.tsx';

/** Members listed at first under an expanded incident (a big one shows more on request). */
const FIRST_MEMBERS = 50;

export interface IncidentListProps {
  /** The incidents the board shows (visibleIncidents), and how many the API matched. */
  readonly incidents: readonly Incident[];
  readonly total: number;
  readonly listed: number;
  readonly loading: boolean;
  readonly error: string | undefined;
  readonly details: ReadonlyMap<string, IncidentDetail>;
  readonly expanded: ReadonlySet<string>;
  readonly filters: Filters;
  /** The board's live state of an exception, if it is on the board. */
  readonly latest: (id: string) => Exception | undefined;
  readonly isFresh: (id: string, nowMs: number) => boolean;
  readonly openId: string | undefined;
  readonly selection: ReadonlySet<string>;
  readonly canAct: boolean;
  readonly busy: boolean;
  readonly hrefOf: (id: string) => string;
  onToggle(id: string): void;
  onAct(incident: Incident, action: IncidentAction): void;
  onOpen(id: string): void;
  onSelect(id: string): void;
}

const timeFormat = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});

/**
 * The span as people read it on a live board: how long it lasted and how long ago it ended (the title
 * already gives the times in UTC; the tooltip gives them in local time).
 */
function Span(p: { span: Incident['span']; now: number }) {
  const from = Date.parse(p.span.from);
  const to = Date.parse(p.span.to);
  return (
    <time
      dateTime={p.span.to}
      title={`${timeFormat.format(from)} – ${timeFormat.format(to)}`}
      class="bd-inc-span"
    >
      {formatAge(to - from)} long, last {formatAge(p.now - to)} ago
    </time>
  );
}

/**
 * Open incidents above the exceptions in none: one row each (severity, title, type, member counts, span,
 * affected customers by tier, over-budget count) that expands with Enter or a click to its member
 * exceptions, the board's own rows; members over their daily budget stay folded until asked for.
 */
export function IncidentList(p: IncidentListProps) {
  const count =
    p.listed < p.total
      ? `${p.incidents.length} shown · the first ${p.listed.toLocaleString()} of ${p.total.toLocaleString()}`
      : `${p.incidents.length}`;
  return (
    <section class="bd-incidents" aria-labelledby="incidents-title">
      <h2 id="incidents-title" class="bd-sub">
        Incidents <span class="bd-muted">({count})</span>
      </h2>
      {p.error && (
        <p class="error" role="alert">
          The incidents could not load: {p.error}
        </p>
      )}
      {p.incidents.length === 0 ? (
        <p class="bd-muted bd-inc-none">
          {p.loading ? 'Loading the incidents…' : 'No incidents on this board.'}
        </p>
      ) : (
        <ul id="incidents" class="bd-inc-list">
          {p.incidents.map((i) => (
            <IncidentItem key={i.id} incident={i} {...p} />
          ))}
        </ul>
      )}
    </section>
  );
}

function IncidentItem(p: IncidentListProps & { incident: Incident }) {
  const now = useNow(1_000);
  const i = p.incident;
  const open = p.expanded.has(i.id);
  const base = domId(i.id);
  return (
    <li class={`bd-inc${open ? ' expanded' : ''}`} data-incident-id={i.id} data-status={i.status}>
      <div class="bd-inc-row">
        <button
          type="button"
          class="bd-inc-head"
          aria-expanded={open}
          aria-controls={`${base}-members`}
          onClick={() => p.onToggle(i.id)}
        >
          <span class="bd-inc-line">
            <span class="bd-inc-caret" aria-hidden="true">
              {open ? '▾' : '▸'}
            </span>
            <span class={`sev sev-${i.severity}`}>{i.severity}</span>
            <span class="bd-inc-title" id={`${base}-title`}>
              {i.title}
            </span>
          </span>
          <span class="bd-inc-meta">
            <span>{typeLabel(i.type)}</span>
            <span class="bd-inc-members" data-members={i.counts.members}>
              {memberText(i)}
            </span>
            <Span span={i.span} now={now} />
            <span>{customerText(i)}</span>
            {i.counts.overBudget > 0 && (
              <span class="bd-inc-over">{i.counts.overBudget.toLocaleString()} over budget</span>
            )}
          </span>
        </button>
        {p.canAct && i.status === 'open' && (
          <fieldset class="bd-inc-actions">
            <legend class="sr-only">Act on every member of this incident</legend>
            <button
              type="button"
              disabled={p.busy}
              aria-describedby={`${base}-title`}
              onClick={() => p.onAct(i, 'assign')}
            >
              Assign incident…
            </button>
            <button
              type="button"
              disabled={p.busy}
              aria-describedby={`${base}-title`}
              onClick={() => p.onAct(i, 'resolve')}
            >
              Resolve incident…
            </button>
          </fieldset>
        )}
      </div>
      <div id={`${base}-members`} class="bd-inc-body" hidden={!open}>
        {open && <Members {...p} base={base} />}
      </div>
    </li>
  );
}

/** An expanded incident's members under the board's filters: within budget first, the rest folded. */
function Members(p: IncidentListProps & { incident: Incident; base: string }) {
  const now = useNow(1_000);
  const [limit, setLimit] = useState(FIRST_MEMBERS);
  const [overOpen, setOverOpen] = useState(false);
  const detail = p.details.get(p.incident.id);
  if (!detail) return <p class="bd-muted">Loading the members…</p>;
  const split = splitMembers(detail, p.latest, p.filters, now);
  const order = comparator(p.filters.sort);
  const sorted = (xs: Exception[]) => xs.map(rowOf).sort(order);
  const shown = sorted(split.shown);
  const over = sorted(split.over);
  const table = (rows: ReturnType<typeof rowOf>[], label: string, kind: string) => (
    <table class="bd-table bd-members" aria-label={label} data-members-of={p.incident.id} data-kind={kind}>
      <thead>
        <ExceptionHead canAct={p.canAct} />
      </thead>
      <tbody>
        {rows.map((row, index) => {
          const ex = row.ex;
          const selected = p.selection.has(ex.id);
          const classes = [
            ex.id === p.openId ? 'opened' : '',
            selected ? 'picked' : '',
            p.isFresh(ex.id, now) ? 'fresh' : '',
          ];
          return (
            <ExceptionRow
              key={ex.id}
              ex={ex}
              index={index}
              at={row.at}
              now={now}
              classes={classes.filter(Boolean).join(' ')}
              opened={ex.id === p.openId}
              selected={selected}
              canAct={p.canAct}
              href={p.hrefOf(ex.id)}
              onOpen={() => p.onOpen(ex.id)}
              onToggle={() => p.onSelect(ex.id)}
            />
          );
        })}
      </tbody>
    </table>
  );
  return (
    <>
      {shown.length > 0 && table(shown.slice(0, limit), `Members of ${p.incident.title}`, 'members')}
      {shown.length > limit && (
        <button type="button" class="link" onClick={() => setLimit(shown.length)}>
          Show all {shown.length.toLocaleString()} members
        </button>
      )}
      {over.length > 0 && (
        <>
          <button
            type="button"
            class="link bd-inc-fold"
            aria-expanded={overOpen}
            aria-controls={`${p.base}-over`}
            onClick={() => setOverOpen(!overOpen)}
          >
            +{over.length.toLocaleString()} over the daily budget
          </button>
          <div id={`${p.base}-over`} hidden={!overOpen}>
            {overOpen && table(over, `Members of ${p.incident.title} over the daily budget`, 'over-budget')}
          </div>
        </>
      )}
      {split.hidden > 0 && (
        <p class="bd-muted bd-inc-hidden">
          {split.hidden.toLocaleString()} more {split.hidden === 1 ? 'member is' : 'members are'} resolved or
          outside the filters.
        </p>
      )}
      {shown.length + over.length + split.hidden === 0 && <p class="bd-muted">No members left.</p>}
    </>
  );
}
