export interface ProgressOutput {
  write(text: string): unknown;
  isTTY?: boolean;
}

const WIDTH = 30;
const REDRAW_MS = 100;

/**
 * Progress on stderr: one bar redrawn in place (`\r`) on a terminal, a line per 10% when the
 * output is a file or a pipe (CI logs stay readable). Amounts are bytes.
 */
export class ProgressBar {
  private lastDraw = 0;
  private lastTenth = -1;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly out: ProgressOutput,
  ) {}

  update(done: number): void {
    const fraction = this.total > 0 ? Math.min(1, done / this.total) : 1;
    if (this.out.isTTY) {
      const now = Date.now();
      if (now - this.lastDraw < REDRAW_MS && fraction < 1) return;
      this.lastDraw = now;
      const filled = Math.round(fraction * WIDTH);
      this.out.write(
        `\r${this.label} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${percent(fraction)} ${megabytes(done)}/${megabytes(this.total)}`,
      );
      return;
    }
    const tenth = Math.floor(fraction * 10);
    if (tenth === this.lastTenth) return;
    this.lastTenth = tenth;
    this.out.write(`${this.label}: ${percent(fraction)} (${megabytes(done)} of ${megabytes(this.total)})\n`);
  }

  finish(): void {
    this.update(this.total);
    if (this.out.isTTY) this.out.write('\n');
  }
}

function percent(fraction: number): string {
  return `${Math.floor(fraction * 100)}%`.padStart(4);
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
