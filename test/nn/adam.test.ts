import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import {
  init, destroyDevice, tensor, readAll, tidy, keep, requiresGrad, counters, sum, mul, sub, nn,
  Adam, linearDecay, saveSafetensors, loadSafetensors, type Tensor, type AdamOptions,
} from '../../src/index.ts';
import { seeded, f32round, expectClose } from '../helpers/gradcheck.ts';

beforeAll(async () => { await init(); });
afterAll(() => destroyDevice());

/** torch.optim.Adam's single-tensor update, in float64. */
class RefAdam {
  m: Float64Array[];
  v: Float64Array[];
  t = 0;
  constructor(public p: Float64Array[], public o: Required<AdamOptions>) {
    this.m = p.map((x) => new Float64Array(x.length));
    this.v = p.map((x) => new Float64Array(x.length));
  }
  step(gs: Float64Array[]): void {
    this.t++;
    const [b1, b2] = this.o.betas;
    const bc1 = 1 - b1 ** this.t, bc2 = 1 - b2 ** this.t;
    this.p.forEach((p, k) => {
      const m = this.m[k], v = this.v[k];
      for (let i = 0; i < p.length; i++) {
        const g = gs[k][i] + this.o.weightDecay * p[i];
        m[i] = b1 * m[i] + (1 - b1) * g;
        v[i] = b2 * v[i] + (1 - b2) * g * g;
        p[i] -= (this.o.lr / bc1) * m[i] / (Math.sqrt(v[i]) / Math.sqrt(bc2) + this.o.eps);
      }
    });
  }
}

const shapes = [[3, 4], [5], [], [40, 25]];
const sizeOf = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** Gradients of mixed sign and scale (1e-3 … 10) for step `t`. */
function gradsAt(t: number): Float64Array[] {
  return shapes.map((s, k) => f32round(seeded(sizeOf(s), 1000 * t + k, -1, 1).map((x, i) => x * 10 ** ((i % 5) - 3))));
}

function makeParams(): Tensor[] {
  return shapes.map((s, k) => keep(requiresGrad(tensor(Float32Array.from(seeded(sizeOf(s), 77 + k)), s))));
}

describe('optim.Adam', () => {
  const configs: [string, Required<AdamOptions>][] = [
    ['defaults', { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 }],
    ["SaGAN's (lr 2e-4, betas 0.5/0.999)", { lr: 2e-4, betas: [0.5, 0.999], eps: 1e-8, weightDecay: 0 }],
    ['weight decay and a large eps', { lr: 0.05, betas: [0.8, 0.99], eps: 1e-3, weightDecay: 0.1 }],
  ];
  for (const [name, o] of configs) {
    it(`matches PyTorch's update in float64: ${name}`, async () => {
      const params = makeParams();
      const init0 = (await readAll(params)).map((a) => Float64Array.from(a));
      const ref = new RefAdam(init0.map((a) => a.slice()), o);
      const opt = new Adam(params, o);
      for (let t = 1; t <= 6; t++) {
        const gs = gradsAt(t);
        tidy(() => opt.step(gs.map((g, k) => tensor(Float32Array.from(g), shapes[k]))));
        ref.step(gs);
      }
      const sd = opt.stateDict();
      const got = await readAll([...params, ...params.map((_, k) => sd.tensors[`state.${k}.exp_avg`] as Tensor), ...params.map((_, k) => sd.tensors[`state.${k}.exp_avg_sq`] as Tensor)]);
      const n = params.length;
      params.forEach((_, k) => {
        expectClose(`param ${k}`, got[k], ref.p[k], 2e-6, 1e-5);
        expectClose(`exp_avg ${k}`, got[n + k], ref.m[k], 1e-7, 1e-5);
        expectClose(`exp_avg_sq ${k}`, got[2 * n + k], ref.v[k], 1e-10, 1e-5);
      });
      // The updates really moved the parameters (the comparison is not vacuous): Adam moves ≈ lr per step.
      const moved = Math.max(...ref.p.flatMap((p, k) => Array.from(p, (x, i) => Math.abs(x - init0[k][i]))));
      expect(moved).toBeGreaterThan(2 * o.lr);
      expect(opt.stepCount(0)).toBe(6);
      opt.dispose();
      for (const p of params) p.dispose();
    });
  }

  it('is one dispatch per ADAM_GROUP (4) parameters, from the first step on; skips parameters without a gradient', () => {
    tidy(() => {
      const params = makeParams();
      const opt = new Adam(params, { lr: 0.01 });
      const gs = gradsAt(1).map((g, k) => tensor(Float32Array.from(g), shapes[k]));
      for (let t = 0; t < 3; t++) {
        const before = counters.dispatches;
        opt.step(gs);
        expect(counters.dispatches - before).toBe(Math.ceil(params.length / 4));
      }
      const before = counters.dispatches;
      opt.step([gs[0], null, gs[2], null]);
      expect(counters.dispatches - before).toBe(1);
      expect([0, 1, 2, 3].map((i) => opt.stepCount(i))).toEqual([4, 3, 4, 3]);
      opt.dispose();
      for (const p of params) p.dispose();
    });
  });

  it('uses .grad when no gradients are passed, and zeroGrad clears them', async () => {
    await tidy(async () => {
      const a = makeParams(), b = makeParams();
      const oa = new Adam(a, { lr: 0.1 }), ob = new Adam(b, { lr: 0.1 });
      const target = tensor([1, 2, 3, 4, 5], [5]);
      const loss = (ps: Tensor[]) => sum(mul(sub(ps[1], target), sub(ps[1], target)));
      loss(a).backward();
      oa.step();
      expect(a.filter((p) => p.grad).length).toBe(1); // only the parameter the loss uses has a .grad
      const gb = a.map((p) => p.grad);
      ob.step(gb);
      const [pa, pb] = await readAll([a[1], b[1]]);
      expect(Array.from(pa)).toEqual(Array.from(pb));
      oa.zeroGrad();
      expect(a.every((p) => p.grad === null)).toBe(true);
      for (const o of [oa, ob]) o.dispose();
      for (const p of [...a, ...b]) p.dispose();
    });
  });

  it('round-trips its state through safetensors: a resumed run continues identically', async () => {
    /** The test's parameters as a module, for its stateDict / loadStateDict. */
    class Params extends nn.Module {
      constructor(seed: number) {
        super();
        shapes.forEach((s, k) => this.registerParameter(`p${k}`, nn.parameter(tensor(Float32Array.from(seeded(sizeOf(s), seed + k)), s))));
      }
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    const prefixed = <T>(pre: string, r: Record<string, T>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [pre + k, v]));
    const unprefixed = <T>(pre: string, r: Record<string, T>) =>
      Object.fromEntries(Object.entries(r).filter(([k]) => k.startsWith(pre)).map(([k, v]) => [k.slice(pre.length), v]));
    await tidy(async () => {
      const grads = (t: number) => gradsAt(t).map((g, k) => tensor(Float32Array.from(g), shapes[k]));
      const a = new Params(77);
      const oa = new Adam(a.parameters(), { lr: 0.01, betas: [0.5, 0.999], weightDecay: 0.01 });
      for (let t = 1; t <= 3; t++) oa.step(grads(t));
      // One checkpoint file: model parameters, optimizer state, hyperparameters in the metadata.
      const sd = oa.stateDict();
      const bytes = await saveSafetensors({ ...prefixed('model.', a.stateDict()), ...prefixed('optim.', sd.tensors) }, sd.metadata);
      const { tensors, metadata } = loadSafetensors(bytes);
      expect(JSON.parse(metadata.param_groups)).toEqual([{ lr: 0.01, betas: [0.5, 0.999], eps: 1e-8, weight_decay: 0.01, amsgrad: false, maximize: false, params: [0, 1, 2, 3] }]);
      expect(Object.keys(tensors).filter((k) => k.startsWith('optim.')).sort()).toEqual(
        [0, 1, 2, 3].flatMap((i) => [`optim.state.${i}.exp_avg`, `optim.state.${i}.exp_avg_sq`, `optim.state.${i}.step`]).sort());

      const b = new Params(99);
      const ob = new Adam(b.parameters(), { lr: 1 }); // hyperparameters come from the checkpoint
      b.loadStateDict(unprefixed('model.', tensors));
      await ob.loadStateDict({ tensors: unprefixed('optim.', tensors), metadata });
      expect([ob.lr, ob.betas, ob.eps, ob.weightDecay]).toEqual([0.01, [0.5, 0.999], 1e-8, 0.01]);
      expect(ob.stepCount(0)).toBe(3);
      for (let t = 4; t <= 5; t++) {
        const g = grads(t);
        oa.step(g);
        ob.step(g);
      }
      const va = await readAll(a.parameters()), vb = await readAll(b.parameters());
      va.forEach((x, k) => expect(Array.from(vb[k]), `param ${k}`).toEqual(Array.from(x)));
      for (const opt of [oa, ob]) opt.dispose();
      for (const m of [a, b]) m.dispose();
    });
  });

  it('loadStateDict rejects a mismatched checkpoint and changes nothing', async () => {
    await tidy(async () => {
      const a = makeParams();
      const opt = new Adam(a, { lr: 0.01 });
      opt.step(gradsAt(1).map((g, k) => tensor(Float32Array.from(g), shapes[k])));
      const sd = opt.stateDict();
      const before = await readAll(a.map((_, k) => sd.tensors[`state.${k}.exp_avg`] as Tensor));
      const other = new Adam(makeParams().slice(0, 2), { lr: 0.5 });
      other.step([tensor(new Float32Array(12), [3, 4]), tensor(new Float32Array(5), [5])]);
      await expect(opt.loadStateDict(other.stateDict())).rejects.toThrow(/checkpoint has 2 parameters, this optimizer 4/);
      const { 'state.1.exp_avg': _drop, ...noAvg } = sd.tensors;
      await expect(opt.loadStateDict({ tensors: noAvg, metadata: sd.metadata })).rejects.toThrow(/state\.1\.exp_avg is missing/);
      const wrongShape = { ...sd.tensors, 'state.0.exp_avg': tensor(new Float32Array(12), [4, 3]) };
      await expect(opt.loadStateDict({ tensors: wrongShape, metadata: sd.metadata })).rejects.toThrow(/state\.0\.exp_avg has shape \[4, 3\], expected \[3, 4\]/);
      await expect(opt.loadStateDict({ tensors: { ...sd.tensors, 'state.0.foo': tensor([1]) }, metadata: sd.metadata })).rejects.toThrow(/unexpected key 'state\.0\.foo'/);
      await expect(opt.loadStateDict({ tensors: sd.tensors, metadata: {} })).rejects.toThrow(/param_groups/);
      const badStep = { ...sd.tensors, 'state.2.step': { dtype: 'F32' as const, shape: [], data: Float32Array.of(1.5) } };
      await expect(opt.loadStateDict({ tensors: badStep, metadata: sd.metadata })).rejects.toThrow(/state\.2\.step is 1\.5/);
      expect(opt.lr).toBe(0.01);
      expect(opt.stepCount(0)).toBe(1);
      const after = await readAll(a.map((_, k) => opt.stateDict().tensors[`state.${k}.exp_avg`] as Tensor));
      after.forEach((x, k) => expect(Array.from(x)).toEqual(Array.from(before[k])));
      opt.dispose();
      other.dispose();
    });
  });

  it('validates hyperparameters and gradients', () => {
    tidy(() => {
      const ps = makeParams();
      expect(() => new Adam(ps, { lr: -1 })).toThrow(/invalid learning rate/);
      expect(() => new Adam(ps, { betas: [0.9, 1] })).toThrow(/beta parameter at index 1/);
      expect(() => new Adam([...ps, ps[0]])).toThrow(/more than once/);
      expect(() => new Adam([tensor([1])])).toThrow(/leaf with requiresGrad/);
      const opt = new Adam(ps);
      expect(() => opt.step([null])).toThrow(/1 gradients for 4 parameters/);
      expect(() => opt.step([tensor([1, 2]), null, null, null])).toThrow(/gradient 0 has shape \[2\] but parameter 0 has \[3, 4\]/);
      opt.setLr(0.5);
      expect(opt.lr).toBe(0.5);
      expect(() => opt.setLr(NaN)).toThrow(/learning rate/);
      expect([0, 50, 100, 150, 200, 250].map((s) => linearDecay(2e-4, s, 100, 200))).toEqual([2e-4, 2e-4, 2e-4, 1e-4, 0, 0]);
      for (const p of ps) p.dispose();
    });
  });
});
