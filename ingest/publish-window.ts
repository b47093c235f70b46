/**
 * Counts unacknowledged publishes instead of awaiting the oldest one: when a burst of acks arrives,
 * every slot it frees is seen at once, so the refill is one synchronous run of publishes.
 */
export class PublishWindow {
  private inFlight = 0;
  private waiter: (() => void) | undefined;
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
      this.waiter = resolve;
    });
  }

  async drained(): Promise<void> {
    while (this.inFlight > 0) await this.room();
  }

  private settle(): void {
    this.inFlight--;
    const wake = this.waiter;
    this.waiter = undefined;
    wake?.();
  }
}
