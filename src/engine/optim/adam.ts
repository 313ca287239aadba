/**
 * @file Adam with PyTorch's semantics (torch.optim.Adam: lr, betas, eps, weight_decay as L2 on the
 * gradient, bias correction; no amsgrad / maximize). Each step is one fused kernel dispatch per
 * ADAM_GROUP parameters (src/kernels/adam.wgsl.ts); the step count lives on the CPU so the bias corrections are
 * exact float64 uniforms. State is created at a parameter's first step, as in PyTorch.
 *
 * The state dict flattens PyTorch's optimizer.state_dict() into named tensors plus string metadata,
 * ready for safetensors: `state.<i>.step` (f32 scalar, as PyTorch stores it), `state.<i>.exp_avg`,
 * `state.<i>.exp_avg_sq`, and metadata `param_groups` = PyTorch's param_groups as JSON.
 */
import { Tensor, readAll, sizeOf } from '../tensor.ts';
import { keep, markWritten } from '../memory.ts';
import { assign } from '../assign.ts';
import { launch, grid1d } from '../launch.ts';
import { gpuDevice } from '../device.ts';
import { adamKernel, ADAM_GROUP, ADAM_WG } from '../../kernels/adam.wgsl.ts';
import { toFloat32, type HostTensor } from '../io/safetensors.ts';
import { fmt, sameShape } from '../ops/shape.ts';

export interface AdamOptions {
  /** Learning rate (default 1e-3). */
  lr?: number;
  /** Decay rates of the first and second moment averages (default [0.9, 0.999]). */
  betas?: [number, number];
  /** Added to the denominator (default 1e-8). */
  eps?: number;
  /** L2 penalty added to the gradient, λ·p (default 0). */
  weightDecay?: number;
}

interface ParamState {
  step: number;
  expAvg: Tensor;
  expAvgSq: Tensor;
}

/** Optimizer state as named tensors (GPU or host) plus string metadata: what saveSafetensors takes. */
export interface OptimizerState {
  tensors: Record<string, Tensor | HostTensor>;
  metadata: Record<string, string>;
}

function checkHyper(o: Required<AdamOptions>): void {
  const bad = (m: string) => {
    throw new Error(`Adam: ${m}`);
  };
  if (!(o.lr >= 0)) bad(`invalid learning rate ${o.lr}`);
  if (!(o.eps >= 0)) bad(`invalid eps ${o.eps}`);
  o.betas.forEach((b, i) => {
    if (!(b >= 0 && b < 1)) bad(`invalid beta parameter at index ${i}: ${b} (need 0 ≤ β < 1)`);
  });
  if (!(o.weightDecay >= 0)) bad(`invalid weightDecay ${o.weightDecay}`);
}

export class Adam {
  readonly params: readonly Tensor[];
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  private state: (ParamState | null)[];

  constructor(params: Iterable<Tensor>, opts: AdamOptions = {}) {
    this.params = [...params];
    if (new Set(this.params).size !== this.params.length) throw new Error('Adam: a parameter appears more than once');
    this.params.forEach((p, i) => {
      if (!p.requiresGrad || p.node) throw new Error(`Adam: parameter ${i} ${p} must be a leaf with requiresGrad`);
    });
    const o = { lr: 1e-3, betas: [0.9, 0.999] as [number, number], eps: 1e-8, weightDecay: 0, ...opts };
    checkHyper(o);
    this.lr = o.lr;
    this.betas = [...o.betas];
    this.eps = o.eps;
    this.weightDecay = o.weightDecay;
    this.state = this.params.map(() => null);
  }

  /** Sets the learning rate for the following steps (schedules). */
  setLr(lr: number): void {
    checkHyper({ lr, betas: this.betas, eps: this.eps, weightDecay: this.weightDecay });
    this.lr = lr;
  }

  /**
   * One update. `grads` (aligned with the parameters, e.g. the result of grad(loss, params)) or else
   * each parameter's `.grad`; parameters without a gradient (null) are skipped, as PyTorch skips
   * `grad is None`.
   */
  step(grads?: readonly (Tensor | null | undefined)[]): void {
    if (grads && grads.length !== this.params.length) throw new Error(`Adam.step: ${grads.length} gradients for ${this.params.length} parameters`);
    const gs = this.params.map((p, i) => (grads ? grads[i] : p.grad) ?? null);
    gs.forEach((g, i) => {
      const p = this.params[i];
      if (!g) return;
      if (!sameShape(g.shape, p.shape)) throw new Error(`Adam.step: gradient ${i} has shape ${fmt(g.shape)} but parameter ${i} has ${fmt(p.shape)}`);
      if (g.buffer === p.buffer) throw new Error(`Adam.step: gradient ${i} shares its storage with the parameter`);
    });
    const [b1, b2] = this.betas;
    const updates: { g: Tensor; p: Tensor; s: ParamState; fresh: boolean }[] = [];
    gs.forEach((g, i) => {
      if (!g) return;
      const p = this.params[i];
      const fresh = this.state[i] === null;
      const s = (this.state[i] ??= { step: 0, expAvg: keep(Tensor.empty(p.shape)), expAvgSq: keep(Tensor.empty(p.shape)) });
      s.step++;
      markWritten(p);
      updates.push({ g, p, s, fresh });
    });
    // Four storage buffers a parameter: as many per dispatch as the device's per-stage limit allows
    // (16 on lavapipe and most GPUs; browsers may give the WebGPU default of 8).
    const per = Math.max(1, Math.min(ADAM_GROUP, Math.floor(gpuDevice().limits.maxStorageBuffersPerShaderStage / 4)));
    for (let k = 0; k < updates.length; k += per) {
      const group = updates.slice(k, k + per);
      const slot = (f: (u: (typeof group)[number]) => number) => [0, 1, 2, 3].map((j) => (group[j] ? f(group[j]) : 0));
      const buffers: Record<string, { buffer: GPUBuffer; offset: number; bytes: number }> = {};
      group.forEach(({ g, p, s }, j) => {
        buffers[`grad${j}`] = g.ref;
        buffers[`param${j}`] = p.ref;
        buffers[`expAvg${j}`] = s.expAvg.ref;
        buffers[`expAvgSq${j}`] = s.expAvgSq.ref;
      });
      const [gx, gy] = grid1d(Math.max(...group.map((u) => u.p.size)), ADAM_WG);
      launch(adamKernel, { count: group.length }, {
        buffers,
        uniforms: {
          n: slot((u) => u.p.size), fresh: slot((u) => (u.fresh ? 1 : 0)),
          stepSize: slot((u) => this.lr / (1 - b1 ** u.s.step)), bc2Sqrt: slot((u) => Math.sqrt(1 - b2 ** u.s.step)),
          beta2: b2, oneMinusBeta1: 1 - b1, oneMinusBeta2: 1 - b2, eps: this.eps, weightDecay: this.weightDecay,
        },
        grid: [gx, gy, group.length],
      });
    }
  }

  /** Drops every parameter's `.grad`. */
  zeroGrad(): void {
    for (const p of this.params) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /** The number of steps taken by parameter i (0 before its first). */
  stepCount(i = 0): number {
    return this.state[i]?.step ?? 0;
  }

  private paramGroups(): Record<string, unknown>[] {
    return [{
      lr: this.lr, betas: this.betas, eps: this.eps, weight_decay: this.weightDecay,
      amsgrad: false, maximize: false, params: this.params.map((_, i) => i),
    }];
  }

  /** The state as named tensors (the live moment tensors — do not dispose them) and metadata. */
  stateDict(): OptimizerState {
    const tensors: Record<string, Tensor | HostTensor> = {};
    this.state.forEach((s, i) => {
      if (!s) return;
      tensors[`state.${i}.step`] = { dtype: 'F32', shape: [], data: Float32Array.of(s.step) };
      tensors[`state.${i}.exp_avg`] = s.expAvg;
      tensors[`state.${i}.exp_avg_sq`] = s.expAvgSq;
    });
    return { tensors, metadata: { param_groups: JSON.stringify(this.paramGroups()) } };
  }

  /**
   * Restores hyperparameters and state (replacing all current state, as PyTorch does). Everything is
   * validated first; on error nothing changes. Async because step counts stored in GPU tensors are
   * read back (one batched readback).
   */
  async loadStateDict(sd: { tensors: Record<string, Tensor | HostTensor>; metadata: Record<string, string> }): Promise<void> {
    const bad = (m: string): never => {
      throw new Error(`Adam.loadStateDict: ${m}; nothing was loaded`);
    };
    let groups: unknown;
    try {
      groups = JSON.parse(sd.metadata.param_groups ?? 'null');
    } catch {
      bad('metadata param_groups is not JSON');
    }
    if (!Array.isArray(groups) || groups.length !== 1) bad('expected metadata param_groups to be a JSON list of exactly one group');
    const g = (groups as Record<string, unknown>[])[0];
    const hyper = { lr: g.lr, betas: g.betas, eps: g.eps, weightDecay: g.weight_decay } as Required<AdamOptions>;
    if (typeof hyper.lr !== 'number' || typeof hyper.eps !== 'number' || typeof hyper.weightDecay !== 'number'
      || !Array.isArray(hyper.betas) || hyper.betas.length !== 2 || !hyper.betas.every((b) => typeof b === 'number')) {
      bad(`param_groups hyperparameters are incomplete: ${sd.metadata.param_groups}`);
    }
    if (g.amsgrad === true || g.maximize === true) bad('amsgrad / maximize are not supported');
    try {
      checkHyper(hyper);
    } catch (e) {
      bad((e as Error).message);
    }
    const ids = g.params;
    if (!Array.isArray(ids) || ids.length !== this.params.length) {
      bad(`the checkpoint has ${Array.isArray(ids) ? ids.length : 'no'} parameters, this optimizer ${this.params.length}`);
    }

    // Group keys by parameter index; every key must be state.<i>.(step|exp_avg|exp_avg_sq).
    const found = new Map<number, Partial<Record<'step' | 'exp_avg' | 'exp_avg_sq', Tensor | HostTensor>>>();
    for (const [key, v] of Object.entries(sd.tensors)) {
      const m = /^state\.(\d+)\.(step|exp_avg|exp_avg_sq)$/.exec(key);
      if (!m) bad(`unexpected key '${key}'`);
      const i = Number(m![1]);
      if (i >= this.params.length) bad(`'${key}' refers to parameter ${i}, but there are ${this.params.length}`);
      const e = found.get(i) ?? {};
      e[m![2] as 'step'] = v;
      found.set(i, e);
    }
    for (const [i, e] of found) {
      const shape = this.params[i].shape;
      for (const name of ['step', 'exp_avg', 'exp_avg_sq'] as const) {
        const t = e[name];
        if (!t) bad(`state.${i}.${name} is missing`);
        const want = name === 'step' ? [] : shape;
        const ok = sameShape(t!.shape, want) || (name === 'step' && sizeOf(t!.shape) === 1);
        if (!ok) bad(`state.${i}.${name} has shape ${fmt(t!.shape)}, expected ${fmt(want)}`);
        if (!(t instanceof Tensor) && t!.data.length !== sizeOf(t!.shape)) bad(`state.${i}.${name} has ${t!.data.length} values for shape ${fmt(t!.shape)}`);
        if (t instanceof Tensor && t.isDisposed) bad(`state.${i}.${name} is a disposed tensor`);
      }
    }
    // Step counts: host values directly, GPU ones with one readback.
    const entries = [...found.entries()];
    const gpuSteps = entries.map(([, e]) => e.step).filter((t): t is Tensor => t instanceof Tensor);
    const read = await readAll(gpuSteps);
    let r = 0;
    const steps = entries.map(([i, e]) => {
      const v = e.step instanceof Tensor ? read[r++][0] : toFloat32(e.step!)[0];
      if (!(Number.isInteger(v) && v >= 1)) bad(`state.${i}.step is ${v}, not a positive integer`);
      return v;
    });

    // All checked: write.
    this.lr = hyper.lr;
    this.betas = [hyper.betas[0], hyper.betas[1]];
    this.eps = hyper.eps;
    this.weightDecay = hyper.weightDecay;
    const next: (ParamState | null)[] = this.params.map(() => null);
    entries.forEach(([i, e], k) => {
      const p = this.params[i];
      const s = this.state[i] ?? { step: 0, expAvg: keep(Tensor.empty(p.shape)), expAvgSq: keep(Tensor.empty(p.shape)) };
      s.step = steps[k];
      assign(s.expAvg, e.exp_avg!);
      assign(s.expAvgSq, e.exp_avg_sq!);
      next[i] = s;
    });
    this.state.forEach((s, i) => {
      if (s && next[i] !== s) {
        s.expAvg.dispose();
        s.expAvgSq.dispose();
      }
    });
    this.state = next;
  }

  /** Frees the moment tensors (the parameters belong to their module). */
  dispose(): void {
    for (const s of this.state) {
      s?.expAvg.dispose();
      s?.expAvgSq.dispose();
    }
    this.state = this.params.map(() => null);
  }
}

/**
 * Linear decay: `baseLr` until `decayStart`, then linearly to 0 at `decayEnd` (StarGAN-style
 * schedules); use with `opt.setLr(linearDecay(...))`.
 */
export function linearDecay(baseLr: number, step: number, decayStart: number, decayEnd: number): number {
  if (step <= decayStart) return baseLr;
  if (step >= decayEnd) return 0;
  return baseLr * (decayEnd - step) / (decayEnd - decayStart);
}
