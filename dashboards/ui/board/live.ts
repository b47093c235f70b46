import { signIn } from '../shared/api.ts';
import type { Exception } from './model.ts';

export type LiveState = 'connecting' | 'live' | 'reconnecting';

export interface LiveHandlers {
  onException(ex: Exception): void;
  onState(state: LiveState): void;
  /** Connected again after a drop: the list may have missed things (the server replays, the board reloads). */
  onReconnected(): void;
  /** The server could not replay what was missed: reload. */
  onReset(): void;
}

const BACKOFF_MS = [1_000, 2_000, 4_000, 8_000, 10_000] as const;

/**
 * The live feed (`/api/stream`, server-sent events). EventSource reconnects by itself after a dropped
 * connection and sends `Last-Event-ID`; when it gives up (an HTTP error while the server restarts), a new
 * one is opened with `?lastEventId=` after a back-off, so the board always recovers by itself.
 */
export function openLive(query: string, handlers: LiveHandlers): () => void {
  let es: EventSource | undefined;
  let lastId = '';
  let attempt = 0;
  let everOpen = false;
  let closed = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const connect = () => {
    const q = new URLSearchParams(query);
    if (lastId) q.set('lastEventId', lastId);
    const qs = q.toString();
    const source = new EventSource(`/api/stream${qs ? `?${qs}` : ''}`, { withCredentials: true });
    es = source;
    source.addEventListener('open', () => {
      attempt = 0;
      handlers.onState('live');
      if (everOpen) handlers.onReconnected();
      everOpen = true;
    });
    source.addEventListener('exception', (e) => {
      const m = e as MessageEvent<string>;
      if (m.lastEventId) lastId = m.lastEventId;
      try {
        handlers.onException(JSON.parse(m.data) as Exception);
      } catch {
        // Not an exception state: nothing to show.
      }
    });
    source.addEventListener('reset', () => handlers.onReset());
    source.addEventListener('error', () => {
      if (closed) return;
      handlers.onState(everOpen ? 'reconnecting' : 'connecting');
      if (source.readyState !== EventSource.CLOSED) return; // the browser retries by itself
      source.close();
      const delay = BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)] ?? 10_000;
      attempt++;
      timer = setTimeout(() => {
        timer = undefined;
        if (closed) return;
        // A refused session sends the person to sign in; anything else: try again.
        fetch('/api/me', { credentials: 'same-origin' }).then(
          (res) => {
            if (res.status === 401) signIn();
            else if (!closed) connect();
          },
          () => {
            if (!closed) connect();
          },
        );
      }, delay);
    });
  };

  handlers.onState('connecting');
  connect();
  return () => {
    closed = true;
    if (timer) clearTimeout(timer);
    es?.close();
  };
}
