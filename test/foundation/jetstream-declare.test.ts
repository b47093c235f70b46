import { describe, expect, it } from 'vitest';
import { declareWithRetry, isTransientJetStreamError, RetryableError } from '../../core/mod.ts';

/** The retry rule for declaring JetStream assets (the concurrency itself: test/cluster/replicas.test.ts). */
describe('declareWithRetry', () => {
  const timeout = () => Object.assign(new Error('timeout'), { name: 'TimeoutError' });

  it('repeats a step that timed out or lost a create race until it succeeds', async () => {
    const errors = [timeout(), new Error('stream name already in use with a different configuration')];
    let calls = 0;
    const got = await declareWithRetry(
      'stream X',
      async () => {
        calls++;
        const err = errors.shift();
        if (err) throw err;
        return 'declared';
      },
      { firstDelayMs: 1 },
    );
    expect(got).toBe('declared');
    expect(calls).toBe(3);
  });

  it('stops at once on an error a repeat cannot fix, naming the asset and keeping the cause', async () => {
    const cause = new Error('insufficient resources');
    let calls = 0;
    const failed = declareWithRetry('stream X', async () => {
      calls++;
      throw cause;
    });
    await expect(failed).rejects.toBeInstanceOf(RetryableError);
    await expect(failed).rejects.toMatchObject({
      code: 'NATS_DECLARE_FAILED',
      message: 'declaring stream X on NATS failed: insufficient resources',
      cause,
    });
    expect(calls).toBe(1);
  });

  it('gives up on a transient error once the deadline has passed, saying how often it tried', async () => {
    const failed = declareWithRetry(
      'KV bucket B',
      async () => {
        throw timeout();
      },
      { deadlineMs: 20, firstDelayMs: 5, maxDelayMs: 5 },
    );
    await expect(failed).rejects.toThrow(
      /^declaring KV bucket B on NATS did not succeed in \d+ attempts: timeout$/,
    );
  });

  it('tells transient JetStream errors from the rest', () => {
    expect(isTransientJetStreamError(timeout())).toBe(true);
    expect(isTransientJetStreamError(new Error('JetStream system temporarily unavailable'))).toBe(true);
    // A lagging server's view of an asset the step has just created (seen on a 3-node cluster under load).
    expect(isTransientJetStreamError(new Error('stream not found'))).toBe(true);
    expect(isTransientJetStreamError(new Error('subjects overlap with an existing stream'))).toBe(false);
    expect(isTransientJetStreamError('timeout')).toBe(false);
  });
});
