/**
 * A one-line progress bar on a terminal's stderr (never on a pipe: machine output stays clean).
 * Redrawn at most every 100 ms; `clear()` before anything else is printed.
 */
export interface TtyStream {
  write(chunk: string): boolean;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export class ProgressBar {
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly out: TtyStream,
    private readonly now: () => number = Date.now,
  ) {}

  update(done: number, total: number, label: string): void {
    const t = this.now();
    if (done < total && t - this.lastDraw < 100) return;
    this.lastDraw = t;
    this.out.write(`\r${render(done, total, label, this.out.columns ?? 80)}`);
    this.drawn = true;
  }

  clear(): void {
    if (!this.drawn) return;
    this.out.write(`\r${' '.repeat(Math.max(0, (this.out.columns ?? 80) - 1))}\r`);
    this.drawn = false;
  }
}

export function render(done: number, total: number, label: string, columns: number): string {
  const ratio = total > 0 ? Math.min(1, done / total) : 1;
  const width = 24;
  const filled = Math.round(ratio * width);
  const line = `${'█'.repeat(filled)}${'░'.repeat(width - filled)} ${(ratio * 100).toFixed(0).padStart(3)}%  ${label}`;
  return line.slice(0, Math.max(20, columns - 1));
}

/** A bar when the stream is a terminal, else nothing. */
export function progressFor(stream: TtyStream): ProgressBar | undefined {
  return stream.isTTY ? new ProgressBar(stream) : undefined;
}
