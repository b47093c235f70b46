import { isoText } from '../shared/format.ts';
import type { Status } from './types.ts';

/** Red / amber / green, each with its own shape and word, so colour is never the only cue. */
const look: Record<Status, { readonly mark: string; readonly word: string }> = {
  ok: { mark: '●', word: 'OK' },
  warn: { mark: '▲', word: 'Warning' },
  bad: { mark: '■', word: 'Failing' },
};

export function StatusBadge(props: { status: Status }) {
  const l = look[props.status];
  return (
    <span class={`ops-badge st-${props.status}`} data-status={props.status}>
      <span aria-hidden="true">{l.mark}</span> {l.word}
    </span>
  );
}

export function time(iso: string | null | undefined): string {
  return isoText(iso, (ms) => new Date(ms).toLocaleString('en-GB', { hour12: false }), '—');
}

export function count(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : n.toLocaleString('en-US');
}
