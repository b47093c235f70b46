import { useEffect, useState } from 'preact/hooks';

/** Client-side navigation: the path and query are the state, so every view can be shared as a link. */
const listeners = new Set<() => void>();

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (to === `${location.pathname}${location.search}`) return;
  if (opts.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  for (const l of listeners) l();
}

addEventListener('popstate', () => {
  for (const l of listeners) l();
});

export interface Location {
  readonly path: string;
  readonly params: URLSearchParams;
}

export function useLocation(): Location {
  const [, setTick] = useState(0);
  useEffect(() => {
    const l = () => setTick((n) => n + 1);
    listeners.add(l);
    return () => {
      listeners.delete(l);
    };
  }, []);
  return { path: location.pathname, params: new URLSearchParams(location.search) };
}

/** Replaces some query parameters (empty removes one) and keeps the rest: filters kept in the URL. */
export function setParams(
  changes: Record<string, string | undefined>,
  opts: { replace?: boolean } = {},
): void {
  const params = new URLSearchParams(location.search);
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined || v === '') params.delete(k);
    else params.set(k, v);
  }
  const q = params.toString();
  navigate(`${location.pathname}${q ? `?${q}` : ''}`, opts);
}

/** Matches `/approvals/:id` style patterns; returns the parameters or undefined. */
export function match(pattern: string, path: string): Record<string, string> | undefined {
  const a = pattern.split('/');
  const b = path.split('/');
  if (a.length !== b.length) return undefined;
  const out: Record<string, string> = {};
  for (let i = 0; i < a.length; i++) {
    const p = a[i] as string;
    const v = b[i] as string;
    if (p.startsWith(':')) out[p.slice(1)] = decodeURIComponent(v);
    else if (p !== v) return undefined;
  }
  return out;
}
