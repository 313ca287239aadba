/**
 * @file A small line plot on a <canvas>: one or more series against the iteration, y-axis from the
 * data's range (with the latest value printed), redrawn at most once per animation frame. The number
 * of points drawn is mirrored in the canvas's data-points attribute (the e2e test watches it).
 */

export interface Series {
  label: string;
  color: string;
}

export class LinePlot {
  private readonly xs: number[] = [];
  private readonly ys: number[][];
  private queued = false;

  constructor(readonly canvas: HTMLCanvasElement, readonly title: string, readonly series: Series[]) {
    this.ys = series.map(() => []);
    this.draw();
  }

  /** Appends one point per series (NaN values leave a gap). */
  push(x: number, values: number[]): void {
    this.xs.push(x);
    values.forEach((v, i) => this.ys[i]!.push(v));
    if (!this.queued) {
      this.queued = true;
      requestAnimationFrame(() => {
        this.queued = false;
        this.draw();
      });
    }
  }

  clear(): void {
    this.xs.length = 0;
    for (const y of this.ys) y.length = 0;
    this.draw();
  }

  private draw(): void {
    const c = this.canvas, dpr = window.devicePixelRatio || 1;
    const W = c.clientWidth || 260, H = c.clientHeight || 130;
    c.width = Math.round(W * dpr);
    c.height = Math.round(H * dpr);
    c.dataset.points = String(this.xs.length);
    const g = c.getContext('2d')!;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, W, H);
    g.font = '11px system-ui, sans-serif';
    g.fillStyle = '#333';
    g.textBaseline = 'top';
    const latest = this.series.map((s, i) => `${s.label} ${fmt(this.ys[i]!.at(-1))}`).join('  ');
    g.fillText(`${this.title}${this.xs.length ? `: ${latest}` : ''}`, 4, 2);

    const finite = this.ys.flat().filter(Number.isFinite);
    const L = 50, R = 6, T = 18, B = 16;
    g.strokeStyle = '#bbb';
    g.strokeRect(L, T, W - L - R, H - T - B);
    if (!finite.length) return;
    let lo = Math.min(...finite), hi = Math.max(...finite);
    if (hi - lo < 1e-9) [lo, hi] = [lo - 0.5, hi + 0.5];
    const x0 = this.xs[0]!, x1 = Math.max(this.xs.at(-1)!, x0 + 1);
    const px = (x: number) => L + ((x - x0) / (x1 - x0)) * (W - L - R);
    const py = (y: number) => T + (1 - (y - lo) / (hi - lo)) * (H - T - B);
    g.fillStyle = '#666';
    g.textBaseline = 'middle';
    // Enough decimals that the two axis labels differ.
    const digits = Math.min(5, Math.max(0, Math.ceil(-Math.log10(hi - lo)) + 2));
    const axis = (v: number) => (Math.abs(v) >= 1e5 ? v.toExponential(1) : v.toFixed(digits));
    g.fillText(axis(hi), 2, T + 4);
    g.fillText(axis(lo), 2, H - B - 4);
    g.textBaseline = 'top';
    g.fillText(String(x0), L, H - B + 2);
    const right = String(this.xs.at(-1));
    g.fillText(right, W - R - g.measureText(right).width, H - B + 2);
    this.series.forEach((s, i) => {
      g.strokeStyle = s.color;
      g.fillStyle = s.color;
      g.lineWidth = 1.5;
      g.beginPath();
      let pen = false;
      this.ys[i]!.forEach((y, j) => {
        if (!Number.isFinite(y)) return void (pen = false);
        const X = px(this.xs[j]!), Y = py(y);
        if (pen) g.lineTo(X, Y);
        else g.moveTo(X, Y);
        pen = true;
        if (this.xs.length === 1) g.fillRect(X - 2, Y - 2, 4, 4);
      });
      g.stroke();
    });
  }
}

function fmt(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e4) ? v.toExponential(1) : v.toFixed(a < 1 ? 3 : a < 100 ? 2 : 0);
}
