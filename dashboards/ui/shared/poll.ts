import { useEffect, useState } from 'preact/hooks';
import { api, errorText } from './api.ts';

/**
 * Runs `load` now and then every `everyMs` (only once when 0) until `deps` change or the caller unmounts;
 * `live()` tells a load whether its answer is still wanted.
 */
export function usePoll(
  load: (live: () => boolean) => unknown,
  everyMs: number,
  deps: readonly unknown[],
): void {
  useEffect(() => {
    let stopped = false;
    const live = () => !stopped;
    const run = () => void load(live);
    run();
    const timer = everyMs > 0 ? setInterval(run, everyMs) : undefined;
    return () => {
      stopped = true;
      if (timer !== undefined) clearInterval(timer);
    };
  }, [...deps, everyMs]);
}

export interface ApiState<T> {
  /** The latest answer (kept while a later request fails). */
  readonly data: T | undefined;
  /** Why the last request failed, until one succeeds. */
  readonly error: string | undefined;
}

/**
 * GET `path` now and every `everyMs`; nothing while `path` is undefined. A new path starts empty; `deps`
 * (e.g. a version bumped after an action) ask again at once; `errorMessage` words a failure.
 */
export function useApi<T>(
  path: string | undefined,
  everyMs: number,
  opts: { deps?: readonly unknown[]; errorMessage?: (err: unknown) => string } = {},
): ApiState<T> {
  const [data, setData] = useState<T | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    setData(undefined);
    setError(undefined);
  }, [path]);
  usePoll(
    (live) =>
      path === undefined
        ? undefined
        : api<T>(path).then(
            (d) => {
              if (!live()) return;
              setData(d);
              setError(undefined);
            },
            (err: unknown) => {
              if (live()) setError((opts.errorMessage ?? errorText)(err));
            },
          ),
    path === undefined ? 0 : everyMs,
    [path, ...(opts.deps ?? [])],
  );
  return { data, error };
}
