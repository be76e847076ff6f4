/** Where progress goes: stderr, which may or may not be a terminal. */
export interface ProgressOutput {
  write(text: string): unknown;
  isTTY?: boolean;
}

const number = new Intl.NumberFormat('en-US');
/** `12,345`: counts in progress lines and summaries. */
export const fmt = (n: number): string => number.format(Math.round(n));

/**
 * One updating status line. On a terminal it is redrawn in place (at most every 200 ms); in a
 * log or a pipe it is printed as a new line at most every 2 s, so that output stays readable.
 * `finish` always prints the last state.
 */
export class ProgressLine {
  private last = 0;
  private drawn = false;
  private readonly interval: number;

  constructor(
    private readonly out: ProgressOutput,
    private readonly now: () => number = Date.now,
  ) {
    this.interval = out.isTTY ? 200 : 2000;
  }

  update(render: () => string): void {
    const at = this.now();
    if (at - this.last < this.interval) return;
    this.last = at;
    this.draw(render());
  }

  finish(text: string): void {
    this.draw(text);
    if (this.out.isTTY) this.out.write('\n');
    this.drawn = false;
  }

  private draw(text: string): void {
    if (this.out.isTTY) this.out.write(`\r${text}\u001b[K`);
    else this.out.write(`${text}\n`);
    this.drawn = true;
  }

  /** Ends a redrawn line before something else is printed. */
  breakLine(): void {
    if (this.drawn && this.out.isTTY) this.out.write('\n');
    this.drawn = false;
  }
}

/** Items per second, for progress lines. */
export function rate(count: number, startedAt: number, now: number): number {
  const seconds = Math.max((now - startedAt) / 1000, 0.001);
  return count / seconds;
}
