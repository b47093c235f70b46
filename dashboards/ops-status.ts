/**
 * The operations page's verdicts, pure: a red/amber/green status with a sentence for each component, from
 * the figures dashboards/ops-probes.ts reads. Thresholds are here, in one place.
 */

export type Status = 'ok' | 'warn' | 'bad';

export interface Health {
  readonly status: Status;
  readonly text: string;
}

/** Messages a durable consumer may hold back (pending + unacknowledged) before it shows amber, then red. */
export const LAG_WARN = 1_000;
export const LAG_BAD = 100_000;
/** NATS round trip above which the connection shows amber. */
export const RTT_WARN_MS = 250;

const rank: Record<Status, number> = { ok: 0, warn: 1, bad: 2 };

export function worst(statuses: readonly Status[]): Status {
  return statuses.reduce<Status>((w, s) => (rank[s] > rank[w] ? s : w), 'ok');
}

export function consumerHealth(c: { pending: number; ackPending: number }): Health {
  const lag = c.pending + c.ackPending;
  if (lag >= LAG_BAD) return { status: 'bad', text: `${lag} messages behind` };
  if (lag >= LAG_WARN) return { status: 'warn', text: `${lag} messages behind` };
  return { status: 'ok', text: lag === 0 ? 'caught up' : `${lag} in flight` };
}

export function natsHealth(n: { connected: boolean; rttMs: number | null; error?: string }): Health {
  if (!n.connected) return { status: 'bad', text: `not connected${n.error ? `: ${n.error}` : ''}` };
  if (n.rttMs === null)
    return { status: 'warn', text: `connected, no round trip${n.error ? `: ${n.error}` : ''}` };
  if (n.rttMs > RTT_WARN_MS) return { status: 'warn', text: `slow: round trip ${n.rttMs} ms` };
  return { status: 'ok', text: `connected, round trip ${n.rttMs} ms` };
}

export function clickhouseHealth(c: { ok: boolean; pingMs: number | null; error?: string }): Health {
  if (!c.ok) return { status: 'bad', text: `unreachable${c.error ? `: ${c.error}` : ''}` };
  return { status: 'ok', text: `answers ping in ${c.pingMs ?? 0} ms` };
}

export function partitionHealth(owned: number, count: number): Health {
  if (count > 0 && owned === 0) return { status: 'bad', text: `no partition of ${count} has an owner` };
  if (owned < count)
    return { status: 'warn', text: `${count - owned} of ${count} partitions without an owner` };
  return { status: 'ok', text: `all ${count} partitions owned` };
}

export function deadLetterHealth(total: number, last24h: number): Health {
  if (last24h > 0) return { status: 'warn', text: `${last24h} parked in the last 24 h (${total} in all)` };
  return { status: 'ok', text: total === 0 ? 'none parked' : `none in the last 24 h (${total} in all)` };
}

const hours = (ms: number) => {
  const h = ms / 3_600_000;
  return h >= 1 ? `${Number(h.toFixed(1))} h` : `${Math.round(ms / 60_000)} min`;
};

/** The last forecast run against the scheduler's interval (0 = the scheduler is off in this process). */
export function forecastHealth(lastRunMs: number | null, intervalMs: number, nowMs: number): Health {
  if (lastRunMs === null) {
    return {
      status: 'warn',
      text:
        intervalMs > 0
          ? `no forecast run stored yet (the scheduler runs every ${hours(intervalMs)})`
          : 'no forecast run stored, and the scheduler is off here (DOCKSIDE_FORECAST_INTERVAL_MS=0)',
    };
  }
  const age = nowMs - lastRunMs;
  if (intervalMs > 0 && age > 2 * intervalMs) {
    return { status: 'warn', text: `last run ${hours(age)} ago; expected every ${hours(intervalMs)}` };
  }
  return { status: 'ok', text: `last run ${hours(Math.max(0, age))} ago` };
}

export function writebackHealth(w: {
  backlog: number | null;
  failed: number | null;
  held: number | null;
}): Health {
  const parts = [
    w.backlog === null ? 'outbox not found' : `${w.backlog} commands waiting in the outbox`,
    ...(w.failed === null ? [] : [`${w.failed} failed writes`]),
    ...(w.held === null ? [] : [`${w.held} held`]),
  ];
  const text = parts.join(', ');
  if ((w.failed ?? 0) > 0) return { status: 'bad', text: `${text}: re-drive them after fixing the cause` };
  if ((w.backlog ?? 0) >= LAG_WARN || (w.held ?? 0) > 0) return { status: 'warn', text };
  return { status: 'ok', text };
}
