/**
 * One snapshot serialized and stored at a time per process: a million shipments make a snapshot of
 * hundreds of MB in flight, so letting every partition snapshot at once would multiply the peak memory.
 */
export class Gate {
  private tail: Promise<void> = Promise.resolve();

  /** Resolves with a release function once it is the caller's turn. */
  acquire(): Promise<() => void> {
    let release!: () => void;
    const mine = new Promise<void>((r) => {
      release = r;
    });
    const turn = this.tail.then(() => release);
    this.tail = this.tail.then(() => mine);
    return turn;
  }
}
