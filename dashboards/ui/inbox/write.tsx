import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api, query } from '../shared/api.ts';
import { usePoll } from '../shared/poll.ts';
import { ReasonForm, useReason } from '../shared/reason.tsx';
import { can, useMe } from '../shared/session.ts';
import { Countdown, useNow } from './clock.tsx';
import { FieldList } from './field-name.tsx';
import { valueLabel, whenLabel, writeLabel } from './format.ts';
import { Link } from './link.tsx';
import { loadMessage, rollbackMessage } from './messages.ts';
import { summaryOf, type WriteSummary, type WriteView, writeInFlight } from './types.ts';

const POLL_MS = 1_000;

/**
 * The CRM write of an approval, live: polled while it is on its way (queued, writing, rolling back), then
 * still. "Roll back" is offered on an applied write inside the policy's window; a ticking clock removes it
 * the moment the window closes.
 */
export function WritePanel(props: {
  writeId: string;
  /** Read the write through its approval (an empty list, not a 404, before the write exists). */
  approvalId?: string;
  initial: WriteSummary | null;
  /** The write is expected (the approval is approved): poll until it appears and settles. */
  expected: boolean;
  /** Show the values before / written (off where a table beside it shows them). */
  showValues?: boolean;
  /** Called when the write settles (applied, failed, held) or is rolled back. */
  onChanged?: () => void;
}) {
  const me = useMe();
  const [write, setWrite] = useState<WriteSummary | null>(props.initial);
  const [fields, setFields] = useState<WriteView['fields'] | undefined>();
  const [pollError, setPollError] = useState<string | undefined>();
  const mayRead = can(me, 'writebacks:read');

  useEffect(() => setWrite(props.initial), [props.initial]);

  const status = write?.status;
  const polling = mayRead && props.expected && writeInFlight(status);
  // Tell the caller once the write settles (it shows the values read before the write from then on).
  const seen = useRef(status);
  const onChanged = props.onChanged;
  useEffect(() => {
    const was = seen.current;
    seen.current = status;
    if (status !== was && writeInFlight(was) && !writeInFlight(status)) onChanged?.();
  }, [status, onChanged]);
  usePoll(
    (live) => {
      if (!mayRead) return;
      const read = props.approvalId
        ? () =>
            api<{ items: WriteView[] }>(`/api/writebacks${query({ approvalId: props.approvalId })}`).then(
              (l) => l.items.find((w) => w.id === props.writeId),
            )
        : () => api<WriteView>(`/api/writebacks/${props.writeId}`);
      return read().then(
        (w) => {
          if (!live() || !w) return; // not there yet (just approved): keep polling
          setWrite(summaryOf(w));
          setFields(w.fields);
          setPollError(undefined);
        },
        (err: unknown) => {
          if (live()) setPollError(loadMessage('The CRM write', err));
        },
      );
    },
    polling ? POLL_MS : 0,
    [props.writeId, props.approvalId, polling, mayRead],
  );

  if (!write) {
    return props.expected ? (
      <p role="status" class="write-state">
        Waiting for the CRM write to start…
      </p>
    ) : null;
  }
  return (
    <div class="write">
      <p role="status" class={`write-state write-${write.status}`}>
        <strong>{writeLabel(write.status)}</strong>
        {write.appliedAt && write.status !== 'rolled_back' ? ` at ${whenLabel(write.appliedAt)}` : ''}
        {write.status === 'rolled_back' && write.rolledBackAt
          ? ` at ${whenLabel(write.rolledBackAt)}${write.rolledBackBy ? ` by ${write.rolledBackBy}` : ''}`
          : ''}
        {writeInFlight(write.status) ? '…' : '.'}
      </p>
      {write.failure ? <p class="error">{write.failure}</p> : null}
      {write.heldReason ? <p class="muted">Held: {write.heldReason}</p> : null}
      {write.previous && props.showValues !== false ? (
        <p class="muted">
          Before the write:{' '}
          {Object.entries(write.previous)
            .map(([k, v]) => `${k} ${valueLabel(v)}`)
            .join(', ')}
          {fields ? ` · written: ${fields.map((f) => `${f.name} ${valueLabel(f.value)}`).join(', ')}` : ''}
        </p>
      ) : null}
      {pollError ? <p class="error">{pollError}</p> : null}
      {write.status === 'applied' ? <Rollback write={write} onDone={setWrite} /> : null}
    </div>
  );
}

function Rollback(props: { write: WriteSummary; onDone: (w: WriteSummary) => void }) {
  const me = useMe();
  const now = useNow();
  const form = useReason();
  const [busy, setBusy] = useState(false);
  const w = props.write;
  const closes = w.rollbackClosesAt;
  if (!closes) return <p class="muted">The policy does not allow rolling this write back.</p>;
  if (Date.parse(closes) <= now) {
    return <p class="muted">The rollback window closed at {whenLabel(closes)}.</p>;
  }
  if (!can(me, 'writebacks:rollback')) {
    return (
      <p class="muted">
        Can be rolled back by the account's approvers for <Countdown deadline={closes} />.
      </p>
    );
  }
  const id = `rollback-${w.id}`;
  const submit = async () => {
    const reason = form.take('Write a reason for the rollback: it goes on the record with your name.');
    if (reason === undefined) return;
    setBusy(true);
    try {
      const next = await api<WriteView>(`/api/writebacks/${w.id}/rollback`, {
        method: 'POST',
        body: { reason },
      });
      form.setReason('');
      props.onDone(summaryOf(next));
    } catch (err) {
      form.setError(rollbackMessage(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <ReasonForm
      id={id}
      class="rollback"
      heading="h4"
      title={
        <>
          Roll back (possible for <Countdown deadline={closes} />)
        </>
      }
      label="Reason for the rollback (required)"
      rows={2}
      state={form}
      onSubmit={() => void submit()}
    >
      <button type="submit" class="danger" disabled={busy}>
        {busy ? 'Rolling back…' : 'Roll back'}
      </button>
    </ReasonForm>
  );
}

/** /writebacks/:id: one write on its own (a link from a notification or the history). */
export function WriteDetail(props: { id: string }) {
  const [w, setW] = useState<WriteView | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    api<WriteView>(`/api/writebacks/${props.id}`).then(setW, (err: unknown) =>
      setError(err instanceof ApiError && err.status === 404 ? 'This write does not exist.' : String(err)),
    );
  }, [props.id]);
  if (error)
    return (
      <p class="error" role="alert">
        {error}
      </p>
    );
  if (!w) return <p class="empty">Loading the write…</p>;
  return (
    <section class="pane" aria-labelledby="write-title">
      <h2 id="write-title" tabIndex={-1}>
        CRM write {w.id}
      </h2>
      <p>
        Customer {w.customerId}
        {w.approvalId ? (
          <>
            {' '}
            · <Link href={`/approvals/${w.approvalId}`}>its approval</Link>
          </>
        ) : null}
      </p>
      <FieldList label="Fields written" fields={w.fields} />
      <WritePanel writeId={w.id} initial={summaryOf(w)} expected={true} />
    </section>
  );
}
