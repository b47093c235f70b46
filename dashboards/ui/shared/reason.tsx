import type { ComponentChildren } from 'preact';
import { useRef, useState } from 'preact/hooks';

/** A required reason being written: its text, the error under it, and whether it is flagged invalid. */
export function useReason() {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [invalid, setInvalid] = useState(false);
  const box = useRef<HTMLTextAreaElement>(null);
  /** The trimmed reason; when there is none, flags the box with `missing` and focuses it. */
  const take = (missing: string): string | undefined => {
    const text = reason.trim();
    if (!text) {
      setInvalid(true);
      setError(missing);
      box.current?.focus();
      return undefined;
    }
    setInvalid(false);
    setError(undefined);
    return text;
  };
  return { reason, setReason, error, setError, invalid, setInvalid, box, take };
}

export type ReasonState = ReturnType<typeof useReason>;

/** A form around a required reason: its heading, the labelled box, the error (an alert) and the buttons. */
export function ReasonForm(props: {
  /** The box's id; the heading and the error use it as a prefix. */
  id: string;
  class: string;
  heading: 'h3' | 'h4';
  title: ComponentChildren;
  label: string;
  rows: number;
  state: ReasonState;
  onSubmit: () => void;
  /** The buttons. */
  children: ComponentChildren;
}) {
  const { id, state } = props;
  const Heading = props.heading;
  return (
    <form
      class={props.class}
      aria-labelledby={`${id}-title`}
      onSubmit={(e) => {
        e.preventDefault();
        props.onSubmit();
      }}
    >
      <Heading id={`${id}-title`}>{props.title}</Heading>
      <label for={id}>{props.label}</label>
      <textarea
        id={id}
        rows={props.rows}
        value={state.reason}
        aria-required="true"
        aria-invalid={state.invalid ? 'true' : undefined}
        aria-describedby={state.error ? `${id}-error` : undefined}
        onInput={(e) => {
          state.setReason(e.currentTarget.value);
          if (state.invalid && e.currentTarget.value.trim()) state.setInvalid(false);
        }}
        ref={state.box}
      />
      {state.error ? (
        <p id={`${id}-error`} class="error" role="alert">
          {state.error}
        </p>
      ) : null}
      <div class="actions">{props.children}</div>
    </form>
  );
}
