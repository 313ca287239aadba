/**
 * @file The engine demo (`npm start`; in Deno: `npx deno run -A examples/demo.ts`): a small MLP
 * 2 → 32 (tanh) → 32 (leakyRelu) → 1 learns f(x, y) = sin(3x)·cos(2y) on 256 fixed points in
 * [−1, 1]² by full-batch SGD with momentum, written by hand with the engine's ops:
 *     v ← μ·v + ∂L/∂p,   p ← p − lr·v,   L = mean((net(x) − f)²).
 * Each step runs inside tidy(), so its intermediates go back to the buffer pool; the losses stay on
 * the GPU and are read back LOG_EVERY steps at a time with one readAll(). At the end memory() must
 * be what it was after the first logged step (no growth), or the demo exits with status 1.
 * Options: --steps N (default 1500), --log-every N (default 250).
 */
import {
  init, destroyDevice, tensor, zeros, randn, matmul, tanh, leakyRelu, grad, noGrad,
  requiresGrad, tidy, keep, memory, readAll, counters, type Tensor, type MemoryInfo,
} from '../src/index.ts';

interface Runtime {
  Deno?: { args: string[]; exit(code: number): never };
  process?: { argv: string[]; exit(code: number): never };
}
const rt = globalThis as Runtime;
const args = rt.Deno?.args ?? rt.process?.argv.slice(2) ?? [];
const exit = (code: number) => (rt.Deno ? rt.Deno.exit(code) : rt.process?.exit(code));

function option(name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(args[i + 1]);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`demo: --${name} needs a positive integer, got '${args[i + 1]}'`);
  return v;
}

const STEPS = option('steps', 1500);
const LOG_EVERY = option('log-every', 250);
const N = 256, HIDDEN = 32, LR = 0.05, MOMENTUM = 0.9, SLOPE = 0.1;
const target = (x: number, y: number) => Math.sin(3 * x) * Math.cos(2 * y);

/** N points in [−1, 1]² from a fixed LCG (the same data in every runtime) and f at them. */
function dataset(): { xy: Float32Array; f: Float32Array } {
  let s = 12345;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  const xy = new Float32Array(2 * N), f = new Float32Array(N);
  for (let i = 0; i < N; i++) {
    xy[2 * i] = u();
    xy[2 * i + 1] = u();
    f[i] = target(xy[2 * i], xy[2 * i + 1]);
  }
  return { xy, f };
}

/** A parameter: a kept leaf that requires grad (Glorot-style scale 1/√fanIn for weights). */
function param(shape: number[], seed: number | null): Tensor {
  const t = tidy(() => (seed === null ? zeros(shape) : randn(shape, { seed }).mul(1 / Math.sqrt(shape[0]))));
  return requiresGrad(keep(t));
}

function net(p: Tensor[], x: Tensor): Tensor {
  const [w1, b1, w2, b2, w3, b3] = p;
  const h1 = tanh(matmul(x, w1).add(b1));
  const h2 = leakyRelu(matmul(h1, w2).add(b2), SLOPE);
  return matmul(h2, w3).add(b3);
}

function fmtMem(m: MemoryInfo): string {
  return `${m.liveTensors} live tensors, ${m.liveBytes} B live, ${m.pooledBytes} B pooled, ${m.allocatedBytes} B allocated`;
}

async function main(): Promise<void> {
  const info = await init();
  const a = info.adapter;
  console.log(`device: ${info.runtime} · ${[a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' · ') || 'unnamed adapter'}`);
  console.log(`task: fit sin(3x)·cos(2y) on ${N} points with a 2-${HIDDEN}-${HIDDEN}-1 MLP, SGD lr ${LR} momentum ${MOMENTUM}, ${STEPS} steps`);

  const { xy, f } = dataset();
  const x = keep(tensor(xy, [N, 2]));
  const y = keep(tensor(f, [N, 1]));
  const params = [param([2, HIDDEN], 1), param([HIDDEN], null), param([HIDDEN, HIDDEN], 2), param([HIDDEN], null),
    param([HIDDEN, 1], 3), param([1], null)];
  const velocity = params.map((p) => keep(zeros(p.shape)));

  let losses: Tensor[] = [];
  let first: number | null = null, last = NaN;
  let baseline: MemoryInfo | null = null;
  const dispatches0 = counters.dispatches;
  let t0 = performance.now();
  for (let step = 1; step <= STEPS; step++) {
    const loss = tidy(() => {
      const d = net(params, x).sub(y);
      const l = d.mul(d).mean();
      const gs = grad(l, params);
      noGrad(() => params.forEach((p, i) => {
        const v = keep(velocity[i].mul(MOMENTUM).add(gs[i]));
        const next = keep(p.sub(v.mul(LR)));
        velocity[i].dispose();
        p.dispose();
        velocity[i] = v;
        params[i] = requiresGrad(next);
      }));
      return l.detach(); // the value survives the scope; the tape does not
    });
    losses.push(loss);
    if (step % LOG_EVERY === 0 || step === STEPS) {
      const vals = await readAll(losses);
      for (const t of losses) t.dispose();
      const n = losses.length;
      losses = [];
      const secs = (performance.now() - t0) / 1000;
      last = vals[n - 1][0];
      first ??= vals[0][0];
      const mean = vals.reduce((s, v) => s + v[0], 0) / n;
      console.log(`step ${String(step).padStart(5)}  loss ${last.toExponential(3)}  (mean of last ${n}: ${mean.toExponential(3)})  ${(n / secs).toFixed(1)} it/s`);
      baseline ??= memory();
      t0 = performance.now();
    }
  }

  const end = memory(); // before the probe below, whose new shapes add new pool buckets
  const perStep = (counters.dispatches - dispatches0) / STEPS;

  // A few points off the training set, read back together.
  const probe = [[0.5, 0.5], [-0.7, 0.2], [0.1, -0.9], [0.9, 0.9]];
  const pred = tidy(() => noGrad(() => net(params, tensor(probe.flat(), [probe.length, 2]))));
  const [pv] = await readAll([pred]);
  pred.dispose();
  probe.forEach(([px, py], i) => console.log(`  f(${px}, ${py}) = ${target(px, py).toFixed(4)}   net = ${pv[i].toFixed(4)}`));

  console.log(`memory after the first ${Math.min(LOG_EVERY, STEPS)} steps: ${fmtMem(baseline!)}`);
  console.log(`memory at the end:              ${fmtMem(end)}`);
  const grew = end.liveTensors > baseline!.liveTensors || end.allocatedBytes > baseline!.allocatedBytes;
  console.log(`${perStep.toFixed(0)} kernel launches per step; loss ${first!.toExponential(3)} → ${last.toExponential(3)}; memory ${grew ? 'GREW (a leak)' : 'did not grow'}`);
  for (const t of [x, y, ...params, ...velocity]) t.dispose();
  destroyDevice();
  if (grew || !(last < first!)) exit(1);
}

main().catch((e) => {
  console.error(`demo failed: ${(e as Error).stack ?? e}`);
  exit(1);
});
