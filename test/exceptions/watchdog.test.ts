import { describe, expect, it } from 'vitest';
import { watchProgress } from '../../exceptions/live/watchdog.ts';

/** A consumer's `info()` answering the given pending count, or failing. */
const consumerWith = (pending: number | Error) => ({
  info: async () => {
    if (pending instanceof Error) throw pending;
    return { num_pending: pending } as Awaited<ReturnType<import('@nats-io/jetstream').Consumer['info']>>;
  },
});

/** Runs a watch for `forMs` and returns the stalls it reported. */
async function watchFor(
  consumer: ReturnType<typeof consumerWith>,
  waitingSince: () => number | undefined,
  forMs = 1_500,
): Promise<string[]> {
  const stalls: string[] = [];
  const timer = watchProgress({
    consumer,
    stallMs: 200,
    waitingSince,
    onStall: (_ms, why) => stalls.push(why),
  });
  await new Promise((r) => setTimeout(r, forMs));
  clearInterval(timer);
  return stalls;
}

describe('the detector progress watchdog', () => {
  it('reports a reader waiting past the limit while the server holds messages for it', async () => {
    const since = Date.now();
    const stalls = await watchFor(consumerWith(42), () => since);
    expect(stalls[0]).toBe('42 messages pending');
  });

  it('reports a reader whose consumer the server cannot describe', async () => {
    const since = Date.now();
    const stalls = await watchFor(consumerWith(new Error('consumer not found')), () => since);
    expect(stalls[0]).toContain('consumer not found');
  });

  it('leaves alone an idle reader with nothing pending, a busy one, and one that keeps receiving', async () => {
    const since = Date.now();
    expect(await watchFor(consumerWith(0), () => since)).toEqual([]);
    expect(await watchFor(consumerWith(42), () => undefined)).toEqual([]);
    expect(await watchFor(consumerWith(42), () => Date.now() - 10)).toEqual([]);
  });
});
