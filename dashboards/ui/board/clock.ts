import { useEffect, useState } from 'preact/hooks';

/** The wall clock, re-read every `everyMs`: ages tick without asking the server anything. */
export function useNow(everyMs = 1_000): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}
