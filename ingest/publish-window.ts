/**
 * Counts unacknowledged publishes instead of awaiting the oldest one: when a burst of acks arrives,
 * every slot it frees is seen at once, so the refill is one synchronous run of publishes.
 */
export class PublishWindow {
  private inFlight = 0;
  /** Everyone waiting for a slot (concurrent HTTP requests share one window); each re-checks when woken. */
  private waiters: (() => void)[] = [];
  failure: { error: unknown } | undefined;

  constructor(private readonly size: number) {}

  get full(): boolean {
    return this.inFlight >= this.size;
  }

  track(p: Promise<unknown>): void {
    this.inFlight++;
    p.then(
      () => this.settle(),
      (error: unknown) => {
        this.failure ??= { error };
        this.settle();
      },
    );
  }

  /** Resolves once at least one slot is free (or something failed). */
  room(): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.push(resolve);
    });
  }

  async drained(): Promise<void> {
    while (this.inFlight > 0) await this.room();
  }

  private settle(): void {
    this.inFlight--;
    const wake = this.waiters;
    this.waiters = [];
    for (const w of wake) w();
  }
}
