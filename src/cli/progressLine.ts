/**
 * A one-line progress display for a TTY: rewrites the same line (`\r` + clear to end of line) as work
 * completes, and erases it at the end so the final table starts on a clean line. Does nothing when the
 * stream is not a TTY or when output is `--json`.
 */
import type { RunProgress } from './runWorkItems.js';
import type { CliStream } from './cliIo.js';

export class ProgressLine {
  readonly #stream: CliStream;
  readonly #enabled: boolean;
  readonly #label: string;
  #shown = false;

  constructor(stream: CliStream, label: string, enabled: boolean) {
    this.#stream = stream;
    this.#label = label;
    this.#enabled = enabled && stream.isTTY === true;
  }

  update(p: RunProgress, now: number): void {
    if (!this.#enabled) return;
    const width = 24;
    const filled = p.total === 0 ? width : Math.round((p.done / p.total) * width);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
    const retry =
      p.retrying > 0
        ? `, ${p.retrying} retrying${p.nextRetryAt === undefined ? '' : ` (next in ${Math.max(0, Math.ceil((p.nextRetryAt - now) / 1000))}s)`}`
        : '';
    this.#stream.write(`\r\x1b[2K${this.#label} ${bar} ${p.done}/${p.total}${retry}`);
    this.#shown = true;
  }

  /** Erases the line. */
  end(): void {
    if (this.#shown) this.#stream.write('\r\x1b[2K');
    this.#shown = false;
  }
}
