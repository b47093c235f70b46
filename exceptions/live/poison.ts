import { type Config, type Outcome, outcomeOf } from '../../core/mod.ts';

/** Why a message was given up on: what its dead letter says. */
export interface Parked {
  readonly code: string;
  readonly reason: string;
}

interface Failure {
  deliveries: number;
  parked?: Parked;
}

/**
 * A task's failed deliveries, by input stream sequence, kept by the worker across the task's restarts.
 *
 * The detector does not ack per message: it reads with an ordered consumer from its snapshot's sequence and
 * tracks its position itself (the snapshot is the commit). So a JetStream redelivery count does not exist
 * here; a delivery is a run of the task that reached the message. A handler that threw unexpectedly may
 * have changed the state halfway, so a retry is a restart from the snapshot (the same replay that makes a
 * crash exactly-once), and the count of those restarts is kept here. Once the message failed on each of
 * `maxDeliveries` deliveries (core's `outcomeOf`, the rule every consumer follows), the next run parks it
 * in the dead letters and skips it: the state is then as if the message had no effect, which is what a
 * replay that skips it again derives too. A process crash forgets the counts: the new owner retries up to
 * the cap again and parks the same dead letter (same id, so JetStream keeps one within its window).
 */
export class TaskFailures {
  private readonly bySeq = new Map<number, Failure>();

  constructor(private readonly delivery: Config['delivery']) {}

  get size(): number {
    return this.bySeq.size;
  }

  /** Records a failed delivery of `seq`: retry (restart after `delayMs`) or park on the next run. */
  failed(seq: number, err: unknown): Outcome {
    const f = this.bySeq.get(seq) ?? { deliveries: 0 };
    f.deliveries++;
    this.bySeq.set(seq, f);
    const outcome = outcomeOf(err, f.deliveries, this.delivery);
    if (outcome.kind === 'term') f.parked = { code: outcome.code, reason: outcome.reason };
    return outcome;
  }

  /** Set when `seq` is to be dead-lettered and skipped instead of handled. */
  parked(seq: number): Parked | undefined {
    return this.bySeq.get(seq)?.parked;
  }

  /** A snapshot covers everything up to `seq`: no restart reads those messages again. */
  covered(seq: number): void {
    for (const s of this.bySeq.keys()) if (s <= seq) this.bySeq.delete(s);
  }
}

/** The worker's record of every task's failures (tasks restart as new runners; their failures stay). */
export class FailureBook {
  private readonly tasks = new Map<string, TaskFailures>();

  constructor(private readonly delivery: Config['delivery']) {}

  of(task: string): TaskFailures {
    let t = this.tasks.get(task);
    if (!t) {
      t = new TaskFailures(this.delivery);
      this.tasks.set(task, t);
    }
    return t;
  }
}
