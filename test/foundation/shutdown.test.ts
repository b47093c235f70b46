import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { stopWithin } from '../../app/shutdown.ts';

/** The graceful stop's deadline (`dockside up`, the demo): a stop that hangs ends, naming what it waited for. */
function captured() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

describe('stopWithin', () => {
  it('returns once the stop has finished, and says nothing', async () => {
    const { logger, lines } = captured();
    let stopped = false;
    const target = {
      stopStage: undefined,
      stop: async () => {
        await new Promise((r) => setTimeout(r, 10));
        stopped = true;
      },
    };
    expect(await stopWithin(target, logger, 5_000)).toBe('stopped');
    expect(stopped).toBe(true);
    expect(lines).toEqual([]);
  });

  it('gives up after the timeout and logs the part it was still stopping', async () => {
    const { logger, lines } = captured();
    const target = { stopStage: 'draining NATS', stop: () => new Promise<void>(() => undefined) };
    const started = Date.now();
    expect(await stopWithin(target, logger, 50)).toBe('timeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 50, timeoutMs: 50, waitingFor: 'draining NATS' });
    expect(String(lines[0]?.msg)).toMatch(/still stopping draining NATS.*redelivered/);
  });
});
