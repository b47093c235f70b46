import { describe, expect, it } from 'vitest';
import {
  type DetectedException,
  defaultPolicy,
  loadPolicy,
  PolicyError,
  parsePolicy,
  renderStatement,
} from '../../core/mod.ts';
import { alertBudget } from '../../exceptions/incidents/budget.ts';
import { windowStartMs } from '../../exceptions/incidents/options.ts';
import { computeIncidents, exceptionMigrations, incidentOptions } from '../../exceptions/mod.ts';
import { fromExceptionRow, toExceptionRow } from '../../exceptions/store.ts';
import { templatePolicy } from '../helpers/env.ts';
import { HOUR, iso, MIN, member, series, shuffled, T0 } from './support/incidents.ts';

describe('alert budget', () => {
  it('marks what one subject raises beyond the cap per UTC day, ranked by (occurredAt, id); nothing is dropped', () => {
    const same = T0 + 30 * MIN;
    const day1 = [
      ...series(3, T0, 10 * MIN),
      member(same, { id: 'late_scan:b' }),
      member(same, { id: 'late_scan:a' }),
    ];
    const day2 = series(2, T0 + 20 * HOUR, MIN);
    const byCustomer = series(5, T0, MIN, {
      warehouseId: undefined,
      carrierId: undefined,
      lane: undefined,
      customerId: 'K9',
    });
    const uncapped = series(9, T0, MIN, { type: 'short_pick' });
    const all = shuffled([...day1, ...day2, ...byCustomer, ...uncapped], 4);
    const { over, cells } = alertBudget(all, { late_scan: 3 });
    const overK9 = [byCustomer[3]?.id ?? '', byCustomer[4]?.id ?? ''];
    expect([...over].sort()).toEqual(['late_scan:a', 'late_scan:b', ...overK9].sort());
    expect(cells).toEqual([
      {
        type: 'late_scan',
        subjectKind: 'customer',
        subject: 'K9',
        day: '2026-03-02',
        cap: 3,
        raised: 5,
        over: 2,
        overIds: overK9,
      },
      {
        type: 'late_scan',
        subjectKind: 'warehouse',
        subject: 'WH-A',
        day: '2026-03-02',
        cap: 3,
        raised: 5,
        over: 2,
        overIds: ['late_scan:a', 'late_scan:b'],
      },
    ]);
    // Day 2 (2026-03-03) starts its own count.
    expect(day2.every((m) => !over.has(m.id))).toBe(true);
    // Counted per incident (WH-A/CARR-1 holds a and b, customer K9 its last two); every exception is still grouped.
    const snap = computeIncidents(all, { ...incidentOptions(defaultPolicy), caps: { late_scan: 3 } });
    const counted = Object.fromEntries(
      snap.incidents.map((i) => [`${i.type}/${i.cause.kind}`, i.counts.overBudget]),
    );
    expect(counted).toEqual({
      'late_scan/warehouse_carrier': 2,
      'late_scan/customer': 2,
      'short_pick/warehouse_carrier': 0,
    });
    expect(snap.overBudget.size).toBe(4);
    expect(snap.exceptions).toBe(all.length);
  });

  it('reads its cap and the incident options from the policy, and refuses bad values naming them', () => {
    const base = 'version: 1\npolicy_name: p\n';
    const p = parsePolicy(
      `${base}incidents:\n  gap_minutes: 45\n  min_members: 3\n  burst_minutes: 30\n  window_days: 2\n  max_span_hours: 6\nthresholds:\n  late_scan:\n    max_per_subject_per_day: 20\n`,
      'inline',
    );
    expect(incidentOptions(p)).toEqual({
      gapMs: 45 * MIN,
      minMembers: 3,
      burstMs: 30 * MIN,
      maxSpanMs: 6 * HOUR,
      windowDays: 2,
      caps: { late_scan: 20 },
    });
    expect(incidentOptions(loadPolicy(templatePolicy))).toEqual({
      gapMs: 2 * HOUR,
      minMembers: 5,
      burstMs: HOUR,
      maxSpanMs: 24 * HOUR,
      windowDays: 7,
      caps: {},
    });
    expect(() => parsePolicy(`${base}incidents:\n  min_members: 1\n`, 'inline')).toThrow(PolicyError);
    expect(() => parsePolicy(`${base}incidents:\n  min_members: 1\n`, 'inline')).toThrow(
      /incidents\.min_members/,
    );
    expect(() => parsePolicy(`${base}incidents:\n  gap_minutes: -5\n`, 'inline')).toThrow(
      /incidents\.gap_minutes.*a number > 0/,
    );
    expect(() =>
      parsePolicy(`${base}thresholds:\n  late_scan:\n    max_per_subject_per_day: 2.5\n`, 'inline'),
    ).toThrow(/thresholds\.late_scan\.max_per_subject_per_day.*a whole number >= 1/);
  });
});

describe('the window and the carrier column', () => {
  it('starts windowDays back from the latest exception (or now, if earlier), at the start of that UTC day', () => {
    const latest = Date.parse('2026-03-09T15:30:00Z');
    expect(iso(windowStartMs(latest, 7))).toBe('2026-03-02T00:00:00.000Z');
    expect(iso(windowStartMs(latest, 7, Date.parse('2026-03-05T01:00:00Z')))).toBe(
      '2026-02-26T00:00:00.000Z',
    );
    const old = series(5, latest - 9 * 24 * HOUR, MIN);
    const recent = series(5, latest - HOUR, MIN);
    const snap = computeIncidents([...old, ...recent], incidentOptions(defaultPolicy));
    expect(snap.exceptions).toBe(5);
    expect(snap.incidents.flatMap((i) => i.memberIds)).toEqual(recent.map((m) => m.id));
    expect(snap.window).toEqual({ from: '2026-03-02T00:00:00.000Z', to: recent[4]?.occurredAt });
  });

  it('stores carrierId in its own column (migration 22 adds it to both tables on a cluster)', () => {
    const ex: DetectedException = {
      ...member(T0),
      confidence: 0.9,
      detectedAt: iso(T0),
      evidence: ['e1'],
      shipmentId: 'S1',
      details: {},
    };
    const row = toExceptionRow(ex, T0);
    expect(row.carrier_id).toBe('CARR-1');
    expect(fromExceptionRow(row)).toEqual(ex);
    const { carrierId: _c, ...without } = ex;
    expect(fromExceptionRow(toExceptionRow(without, T0))).toEqual(without);
    const v22 = exceptionMigrations.find((m) => m.version === 22);
    const stmts = v22?.statements ?? [];
    expect(stmts.flatMap((s) => renderStatement(s, { database: 'dockside' }))).toEqual([
      "ALTER TABLE dockside.exceptions ADD COLUMN IF NOT EXISTS carrier_id String DEFAULT ''",
    ]);
    expect(stmts.flatMap((s) => renderStatement(s, { database: 'dockside', cluster: 'c1' }))).toEqual([
      "ALTER TABLE dockside.exceptions_local ON CLUSTER 'c1' ADD COLUMN IF NOT EXISTS carrier_id String DEFAULT ''",
      "ALTER TABLE dockside.exceptions ON CLUSTER 'c1' ADD COLUMN IF NOT EXISTS carrier_id String DEFAULT ''",
    ]);
  });
});
