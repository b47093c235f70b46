import { useEffect, useRef, useState } from 'preact/hooks';

export type DialogKind = 'resolve' | 'assign';

export interface ActionDialogProps {
  readonly kind: DialogKind;
  /** What it applies to, e.g. "Late scan SHP-1" or "3 exceptions". */
  readonly subject: string;
  /** Assignee suggestions. */
  readonly people: readonly string[];
  /** Replaces the field's usual hint (an incident's action applies to each member). */
  readonly hint?: string;
  onSubmit(value: string): void;
  onClose(): void;
}

const TEXT = {
  resolve: {
    title: 'Resolve',
    label: 'Reason for resolving',
    hint: 'Say what was done or why no action is needed; it is kept with the exception.',
    action: 'Resolve',
  },
  assign: {
    title: 'Assign',
    label: 'Assign to (user id)',
    hint: 'The person who will handle it.',
    action: 'Assign',
  },
} as const;

/**
 * A small modal dialog (the platform's <dialog>: focus stays inside, Esc closes) with one labelled field:
 * the reason for resolving, or the person to assign to.
 */
export function ActionDialog(p: ActionDialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const [value, setValue] = useState('');
  const text = TEXT[p.kind];
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);
  const field = `dlg-${p.kind}`;
  return (
    <dialog ref={ref} class="bd-dialog" aria-labelledby={`${field}-title`} onClose={() => p.onClose()}>
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          const v = value.trim();
          if (!v) return;
          p.onSubmit(v);
          ref.current?.close();
        }}
      >
        <h2 id={`${field}-title`}>
          {text.title}: {p.subject}
        </h2>
        <label for={field}>{text.label}</label>
        {p.kind === 'resolve' ? (
          <textarea
            id={field}
            rows={4}
            required
            maxLength={1_000}
            aria-describedby={`${field}-hint`}
            value={value}
            onInput={(e) => setValue(e.currentTarget.value)}
          />
        ) : (
          <>
            <input
              id={field}
              required
              maxLength={128}
              autocomplete="off"
              list={`${field}-people`}
              aria-describedby={`${field}-hint`}
              value={value}
              onInput={(e) => setValue(e.currentTarget.value)}
            />
            <datalist id={`${field}-people`}>
              {p.people.map((o) => (
                <option key={o} value={o} />
              ))}
            </datalist>
          </>
        )}
        <p id={`${field}-hint`} class="bd-muted">
          {p.hint ?? text.hint}
        </p>
        <div class="bd-dialog-actions">
          <button type="button" onClick={() => ref.current?.close()}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={!value.trim()}>
            {text.action}
          </button>
        </div>
      </form>
    </dialog>
  );
}
