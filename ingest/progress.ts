/**
 * A one-line progress bar for `import` on a terminal: bytes read of the total, and the running
 * counts. Redrawn at most every 100 ms; `clear()` before printing anything else on the same stream.
 */
export interface ProgressCounts {
  readonly accepted: number;
  readonly duplicate: number;
  readonly rejected: number;
}

export interface TtyStream {
  write(chunk: string): boolean;
  readonly columns?: number;
}

export class ProgressBar {
  private bytes = 0;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private drawn = false;

  constructor(
    private readonly out: TtyStream,
    private readonly totalBytes: number,
    private readonly now: () => number = Date.now,
  ) {}

  addBytes(n: number): void {
    this.bytes += n;
  }

  update(counts: ProgressCounts, force = false): void {
    const t = this.now();
    if (!force && t - this.lastDraw < 100) return;
    this.lastDraw = t;
    this.out.write(`\r${this.render(counts)}`);
    this.drawn = true;
  }

  clear(): void {
    if (!this.drawn) return;
    this.out.write(`\r${' '.repeat(this.width() - 1)}\r`);
    this.drawn = false;
  }

  /** A pty may report 0 columns (not yet sized): assume 80 then. */
  private width(): number {
    const c = this.out.columns ?? 0;
    return c >= 40 ? c : 80;
  }

  render(counts: ProgressCounts): string {
    const ratio = this.totalBytes > 0 ? Math.min(1, this.bytes / this.totalBytes) : 1;
    const width = 24;
    const filled = Math.round(ratio * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    const line = `${bar} ${(ratio * 100).toFixed(0).padStart(3)}%  accepted ${counts.accepted}  duplicate ${counts.duplicate}  rejected ${counts.rejected}`;
    return line.slice(0, this.width() - 1);
  }
}
