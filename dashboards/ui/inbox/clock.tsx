import { useEffect, useState } from 'preact/hooks';
import { countdownLabel, durationWords, URGENT_MS } from './format.ts';

/** One ticking clock for every countdown on the screen (one timer, however many rows). */
const listeners = new Set<(now: number) => void>();
let timer: ReturnType<typeof setInterval> | undefined;

function subscribe(l: (now: number) => void): () => void {
  listeners.add(l);
  timer ??= setInterval(() => {
    const now = Date.now();
    for (const f of listeners) f(now);
  }, 1_000);
  return () => {
    listeners.delete(l);
    if (listeners.size === 0 && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}

/** The current time, re-rendering the caller every second. */
export function useNow(): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => subscribe(setNow), []);
  return now;
}

/**
 * Time left until `deadline`, ticking: red under five minutes, "overdue" once passed. Not a live region
 * (a screen reader would hear it every second); screen readers read the time in words.
 */
export function Countdown(props: { deadline: string }) {
  const now = useNow();
  const end = Date.parse(props.deadline);
  const left = end - now;
  const urgent = left < URGENT_MS;
  return (
    <time
      class={`countdown${urgent ? ' urgent' : ''}`}
      dateTime={props.deadline}
      title={new Date(end).toLocaleString()}
    >
      <span aria-hidden="true">{left > 0 ? countdownLabel(left) : 'overdue'}</span>
      <span class="sr-only">{left > 0 ? durationWords(left) : 'no time (deadline passed)'}</span>
    </time>
  );
}

/** A waiting step's due time (when it has one) and whether it was escalated. */
export function DueChips(props: { deadline: string | null | undefined; escalated: boolean }) {
  return (
    <>
      {props.deadline ? (
        <span class="deadline">
          Due in <Countdown deadline={props.deadline} />
        </span>
      ) : null}
      {props.escalated ? <span class="chip escalated">escalated</span> : null}
    </>
  );
}
