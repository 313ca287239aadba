/**
 * @file A one-line progress bar on stderr: step, bar, it/s, ETA and the latest losses. Redrawn in place
 * on a terminal; on a pipe (CI logs) a plain line at most every few seconds.
 */
import process from 'node:process';
import { formatDuration } from '../format.ts';


export class ProgressBar {
  private lastPrint = 0;
  private readonly tty = Boolean(process.stderr.isTTY);
  constructor(private readonly label: string, private readonly minIntervalMs = 5000) {}

  update(step: number, total: number, itPerSec: number, extra = ''): void {
    const now = Date.now();
    const done = step >= total;
    if (!this.tty && !done && now - this.lastPrint < this.minIntervalMs) return;
    this.lastPrint = now;
    const width = 24, fill = Math.round((width * step) / Math.max(total, 1));
    const bar = '='.repeat(Math.max(fill - 1, 0)) + (fill > 0 ? (done ? '=' : '>') : '') + ' '.repeat(width - fill);
    const eta = itPerSec > 0 ? (total - step) / itPerSec : NaN;
    const line = `${this.label} ${step}/${total} [${bar}] ${itPerSec.toFixed(2)} it/s ETA ${formatDuration(eta)}${extra ? '  ' + extra : ''}`;
    process.stderr.write(this.tty ? `\r\x1b[2K${line}${done ? '\n' : ''}` : `${line}\n`);
  }
}
