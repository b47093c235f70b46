import { whenLabel } from './format.ts';
import type { DraftView } from './types.ts';

const draftStatus: Readonly<Record<DraftView['status'], string>> = {
  awaiting_approval: 'waits for this approval',
  ready: 'ready to send',
  sent: 'sent',
  withdrawn: 'withdrawn',
  held: 'held',
};

/**
 * The customer update draft: each statement with the markers of the events it cites, and the numbered
 * Sources list those markers point to (an event id, its type and when it happened).
 */
export function Draft(props: { draft: DraftView }) {
  const d = props.draft;
  const n = new Map(d.sources.map((s) => [s.eventId, s.n]));
  const anchor = (k: number) => `${d.id}-src-${k}`;
  return (
    <section class="draft" aria-labelledby={`${d.id}-title`}>
      <h3 id={`${d.id}-title`}>Customer update draft</h3>
      <p class="muted">
        <span class="chip">{draftStatus[d.status]}</span>
        {` Drafted ${whenLabel(d.createdAt)}.`}
        {d.sentAt ? ` Sent ${whenLabel(d.sentAt)}.` : ''}
        {d.heldReason ? ` Held: ${d.heldReason}.` : ''}
        {d.status === 'awaiting_approval' ? ' Sent to the customer only when this approval is approved.' : ''}
      </p>
      <p>
        <strong>Subject:</strong> {d.subject}
      </p>
      <div class="statements">
        {d.statements.map((s, i) => (
          <p key={i} class="statement">
            {s.text.replace(/\.$/, '')}
            {s.citations.map((id) => {
              const k = n.get(id);
              return k === undefined ? null : (
                <sup key={id}>
                  <a href={`#${anchor(k)}`} aria-label={`source ${k}: ${id}`}>
                    [{k}]
                  </a>
                </sup>
              );
            })}
            .
          </p>
        ))}
      </div>
      {d.sources.length > 0 ? (
        <>
          <h4>Sources</h4>
          <ol class="sources">
            {d.sources.map((s) => (
              <li key={s.eventId} id={anchor(s.n)} value={s.n}>
                <code>{s.eventId}</code> <span class="muted">{s.type}</span> at{' '}
                <time dateTime={s.occurredAt}>{whenLabel(s.occurredAt)}</time>
              </li>
            ))}
          </ol>
        </>
      ) : (
        <p class="muted">No sources.</p>
      )}
    </section>
  );
}
