/**
 * @file Convolution benchmark (not a test): every conv / convT / instance-norm shape of SaGAN (the
 * AMN/SAN trunk and the critic D of docs' spec) at the small CPU configuration (32², w16, batch 8) or
 * the paper's (128², w32, batch 16), timing our forward, input-gradient and weight-gradient kernels
 * side by side with TensorFlow.js's WebGPU backend (Conv2D, Conv2DBackpropInput, Conv2DBackpropFilter
 * in its native NHWC layout) on the same device. Runs are interleaved (ours, tfjs, ours, …) so that load
 * from other processes hits both alike; the table shows the median of several timed repetitions.
 * Our conv packs its weight once per weight and caches the pack until the weight is written (an
 * optimiser step): the timed repetitions of one layer measure the conv kernel alone, as in training,
 * where each weight is packed once per step and then used by several convs (the warm-up call packs).
 *
 *   npx esbuild bench/conv.ts --bundle --platform=node --format=esm --external:webgpu \
 *     --external:@tensorflow/* --outfile=dist/bench-conv.js && node dist/bench-conv.js [--config small|128|all] [--reps 5] [--no-tfjs] [--only 'D cls']
 */
import { create, globals } from 'webgpu';
import { init, deviceInfo, sync, tensor, instanceNorm2d, instanceNormGrad, conv2dWeightGrad, Tensor, noGrad } from '../src/index.ts';
import { conv2dRaw, convTranspose2dRaw } from '../src/engine/ops/conv.ts';

interface ConvLayer { net: string; kind: 'conv' | 'convT'; n: number; ci: number; h: number; co: number; k: number; s: number; p: number }

/** The conv layers of SaGAN for one configuration (identical shapes listed once, with every net that has them). */
function layers(size: number, w: number, n: number): ConvLayer[] {
  const out: ConvLayer[] = [];
  const add = (net: string, kind: ConvLayer['kind'], ci: number, h: number, co: number, k: number, s: number, p: number) => {
    const same = out.find((l) => l.kind === kind && l.ci === ci && l.h === h && l.co === co && l.k === k && l.s === s && l.p === p);
    if (same) same.net += `+${net}`;
    else out.push({ net, kind, n, ci, h, co, k, s, p });
  };
  for (const [net, cin, cout] of [['AMN', 4, 3], ['SAN', 3, 1]] as const) {
    add(`${net} stem`, 'conv', cin, size, w, 7, 1, 3);
    for (let i = 0; i < 3; i++) add(`${net} down${i + 1}`, 'conv', w << i, size >> i, w << (i + 1), 4, 2, 1);
    add(`${net} res`, 'conv', 8 * w, size / 8, 8 * w, 3, 1, 1);
    for (let i = 0; i < 3; i++) add(`${net} up${i + 1}`, 'convT', (8 * w) >> i, size / 8 << i, (4 * w) >> i, 4, 2, 1);
    add(`${net} head`, 'conv', w, size, cout, 7, 1, 3);
  }
  let c = 3, h = size;
  for (let i = 0; h > 2; i++, h /= 2) {
    add(`D${i + 1}`, 'conv', c, h, w << i, 4, 2, 1);
    c = w << i;
  }
  add('D src', 'conv', c, 2, 1, 3, 1, 1);
  add('D cls', 'conv', c, 2, 1, 2, 1, 0);
  return out;
}

/** Instance-norm inputs of the trunk: [N, C, H, W] after each normalised conv. */
function normShapes(size: number, w: number, n: number): number[][] {
  return [0, 1, 2, 3].map((i) => [n, w << i, size >> i, size >> i]);
}

const args = process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const config = arg('config', 'small');
const REPS = Number(arg('reps', '5'));
const withTf = !args.includes('--no-tfjs');
/** Only the layers whose name contains this (e.g. --only 'D cls'); instance norm runs when it is absent. */
const only = arg('only', '');

Object.assign(globalThis, globals);
const gpu = create([]);
(globalThis as unknown as { navigator: { gpu: GPU } }).navigator = { gpu };
await init({ gpu });
// tfjs registers its WebGPU backend at import time only if navigator.gpu exists: import it after.
const tf = withTf ? await import('@tensorflow/tfjs-core') : null;
if (tf) {
  await import('@tensorflow/tfjs-backend-webgpu');
  await tf.setBackend('webgpu');
  await tf.ready();
}
type TfBackend = { device: GPUDevice };

const rand = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898) * 0.5);

/** Milliseconds per call of `fn`, run `inner` times back to back, then synchronised by `done`. */
async function time(fn: () => void, done: () => Promise<void>, inner: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < inner; i++) fn();
  await done();
  return (performance.now() - t0) / inner;
}
const oursDone = () => sync();
// tfjs records into its own command encoder and submits when a result is read: keep the last output
// of a timed loop and read it back (one small copy) to flush and wait for all of the loop's work.
let tfLast: { data(): Promise<unknown>; dispose(): void } | null = null;
const tfDone = async () => {
  await tfLast!.data();
  tfLast!.dispose();
  tfLast = null;
  await (tf!.backend() as unknown as TfBackend).device.queue.onSubmittedWorkDone();
};
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

interface Row { layer: string; shape: string; pass: string; flops: number; ours: number; tfjs: number | null }
const rows: Row[] = [];

async function measure(layer: string, shape: string, pass: string, flops: number, ours: () => void, theirs: (() => void) | null): Promise<void> {
  const inner = Math.max(1, Math.min(20, Math.round(3e8 / flops)));
  await time(ours, oursDone, 1); // compile + warm up
  if (theirs) await time(theirs, tfDone, 1);
  const a: number[] = [], b: number[] = [];
  for (let r = 0; r < REPS; r++) {
    a.push(await time(ours, oursDone, inner));
    if (theirs) b.push(await time(theirs, tfDone, inner));
  }
  const row = { layer, shape, pass, flops, ours: median(a), tfjs: theirs ? median(b) : null };
  rows.push(row);
  printRow(row);
}

const pad = (s: string, n: number) => s.padEnd(n);
const lpad = (s: string, n: number) => s.padStart(n);
function printRow(r: Row): void {
  const gf = (ms: number) => (r.flops / ms / 1e6).toFixed(2);
  const tf = r.tfjs === null ? `${lpad('—', 9)} ${lpad('—', 8)} ${lpad('—', 7)}` : `${lpad(r.tfjs.toFixed(2), 9)} ${lpad(gf(r.tfjs), 8)} ${lpad((r.tfjs / r.ours).toFixed(2) + 'x', 7)}`;
  console.log(`${pad(r.layer, 22)} ${pad(r.shape, 30)} ${pad(r.pass, 7)} ${lpad(r.ours.toFixed(2), 9)} ${lpad(gf(r.ours), 8)} ${tf}`);
}

async function benchConv(l: ConvLayer): Promise<void> {
  const { n, ci, h, co, k, s, p } = l;
  const conv = l.kind === 'conv';
  // conv: x [n,ci,h,h] → y [n,co,oh,oh];  convT: x [n,ci,h,h] → y [n,co,(h−1)s−2p+k].
  const oh = conv ? Math.floor((h + 2 * p - k) / s) + 1 : (h - 1) * s - 2 * p + k;
  const x = tensor(rand(n * ci * h * h), [n, ci, h, h]);
  const w = tensor(rand(co * ci * k * k), conv ? [co, ci, k, k] : [ci, co, k, k]);
  const dy = tensor(rand(n * co * oh * oh), [n, co, oh, oh]);
  const flops = 2 * n * (conv ? co * oh * oh * ci : ci * h * h * co) * k * k;
  const shape = `${n}×${ci}×${h}² → ${co}×${oh}² k${k}s${s}p${p}`;
  const name = `${l.net} ${l.kind}`;
  const tfPad = [[0, 0], [p, p], [p, p], [0, 0]];
  let tx: unknown, tw: unknown, tdy: unknown;
  if (tf) {
    tx = tf.randomNormal([n, h, h, ci]);
    tw = tf.randomNormal([k, k, conv ? ci : co, conv ? co : ci]);
    tdy = tf.randomNormal([n, oh, oh, co]);
  }
  const run = (kernel: string, inputs: Record<string, unknown>, attrs: Record<string, unknown>) => () => {
    tfLast?.dispose();
    tfLast = tf!.engine().runKernel(kernel, inputs as never, attrs as never) as typeof tfLast;
  };
  const fwdAttrs = { strides: [s, s], pad: tfPad, dataFormat: 'NHWC', dilations: [1, 1] };
  // Our three kernels for this layer, and tfjs's counterparts (for a convT the roles of x and dy swap).
  const ours = {
    fwd: () => (conv ? conv2dRaw(x, w, null, s, p) : convTranspose2dRaw(x, w, null, s, p, 0, 0)).dispose(),
    dx: () => (conv ? convTranspose2dRaw(dy, w, null, s, p, h - ((oh - 1) * s - 2 * p + k), h - ((oh - 1) * s - 2 * p + k)) : conv2dRaw(dy, w, null, s, p)).dispose(),
    dw: () => noGrad(() => (conv ? conv2dWeightGrad(x, dy, k, k, s, p) : conv2dWeightGrad(dy, x, k, k, s, p))).dispose(),
  };
  const theirs = tf ? {
    fwd: conv ? run('Conv2D', { x: tx, filter: tw }, fwdAttrs) : run('Conv2DBackpropInput', { dy: tx, filter: tw }, { ...fwdAttrs, inputShape: [n, oh, oh, co] }),
    dx: conv ? run('Conv2DBackpropInput', { dy: tdy, filter: tw }, { ...fwdAttrs, inputShape: [n, h, h, ci] }) : run('Conv2D', { x: tdy, filter: tw }, fwdAttrs),
    dw: conv ? run('Conv2DBackpropFilter', { x: tx, dy: tdy }, { ...fwdAttrs, filterShape: [k, k, ci, co] })
      : run('Conv2DBackpropFilter', { x: tdy, dy: tx }, { ...fwdAttrs, filterShape: [k, k, co, ci] }),
  } : null;
  for (const pass of ['fwd', 'dx', 'dw'] as const) await measure(name, shape, pass, flops, ours[pass], theirs ? theirs[pass] : null);
  for (const t of [x, w, dy]) t.dispose();
  if (tf) for (const t of [tx, tw, tdy] as { dispose(): void }[]) t.dispose();
}

async function benchNorm(shape: number[]): Promise<void> {
  const x = tensor(rand(shape.reduce((a, b) => a * b)), shape);
  const g = tensor(rand(x.size), shape);
  const label = `${shape[0]}×${shape[1]}×${shape[2]}²`;
  // ~8 flops per element forward (two sums, a square, normalise), ~12 backward.
  await measure('instanceNorm2d', label, 'fwd', 8 * x.size, () => noGrad(() => instanceNorm2d(x)).dispose(), null);
  await measure('instanceNorm2d', label, 'dx', 12 * x.size, () => noGrad(() => instanceNormGrad(x, g)).dispose(), null);
  x.dispose();
  g.dispose();
}

const configs: [string, number, number, number][] = config === 'all' ? [['small', 32, 16, 8], ['128', 128, 32, 16]]
  : config === '128' ? [['128', 128, 32, 16]] : [['small', 32, 16, 8]];
const info = deviceInfo();
console.log(`adapter: ${info.adapter.vendor} ${info.adapter.architecture} ${info.adapter.description} (${info.runtime})`);
console.log(`timing: median of ${REPS} interleaved repetitions; ms per call; GFLOP/s = 2·MACs / time${withTf ? '; tfjs = @tensorflow/tfjs-backend-webgpu, NHWC' : ''}`);
for (const [name, size, w, n] of configs) {
  console.log(`\n== config ${name}: ${size}², w${w}, batch ${n} ==`);
  console.log(`${pad('layer', 22)} ${pad('shape', 30)} ${pad('pass', 7)} ${lpad('ours ms', 9)} ${lpad('GFLOP/s', 8)} ${lpad('tfjs ms', 9)} ${lpad('GFLOP/s', 8)} ${lpad('speedup', 7)}`);
  for (const l of layers(size, w, n)) if (l.net.includes(only)) await benchConv(l);
  if (!only) for (const s of normShapes(size, w, n)) await benchNorm(s);
}
const fwd = rows.filter((r) => r.pass === 'fwd' && r.tfjs !== null);
if (fwd.length) {
  const tot = (k: 'ours' | 'tfjs') => fwd.reduce((a, r) => a + (r[k] as number), 0);
  console.log(`\nconv forward, all layers: ours ${tot('ours').toFixed(1)} ms, tfjs ${tot('tfjs').toFixed(1)} ms: ${(tot('tfjs') / tot('ours')).toFixed(2)}x; ` +
    `slowest ratio ${Math.min(...fwd.map((r) => (r.tfjs as number) / r.ours)).toFixed(2)}x`);
}
process.exit(0);
