/**
 * @file Autograd semantics (PyTorch's torch.autograd.grad / Tensor.backward): gradOutputs, several
 * outputs, createGraph (derivatives of derivatives), retainGraph, allowUnused, the errors for inputs
 * and outputs that do not require grad, gradients w.r.t. intermediate tensors, `.grad` accumulation
 * by backward(), noGrad, detach; and memory scopes: tidy/keep, and that grad() leaves nothing behind.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import {
  init, destroyDevice, tensor, requiresGrad, grad, backward, noGrad, isGradEnabled, readAll, tidy, keep, memory,
  add, mul, sum, exp, tanh, matmul, zeros, type Tensor,
} from '../../src/index.ts';

beforeAll(async () => { await init(); });
afterAll(() => destroyDevice());

const arr = (v: Float32Array) => Array.from(v);

describe('grad()', () => {
  it('gradOutputs weight a non-scalar output: ∂(Σ go·x²)/∂x = 2x·go', async () => {
    await tidy(async () => {
      const x = requiresGrad(tensor([1, -2, 3]));
      const [g] = grad(mul(x, x), x, { gradOutputs: tensor([1, 0.5, -1]) });
      expect(arr(await g.data())).toEqual([2, -2, -6]);
    });
  });
  it('several outputs sum their contributions; null gradOutputs mean ones for scalars', async () => {
    await tidy(async () => {
      const x = requiresGrad(tensor([1, 2]));
      const y1 = sum(mul(x, 3)); // ∂ = 3
      const y2 = mul(x, x); // ∂·go = 2x·go
      const [g] = grad([y1, y2], x, { gradOutputs: [null, tensor([1, 10])] });
      expect(arr(await g.data())).toEqual([5, 43]);
      expect(() => grad([y1, y2], x, { gradOutputs: [null] })).toThrow(/2 outputs but 1 gradOutputs/);
    });
  });
  it('several inputs, one of them used twice (a diamond)', async () => {
    await tidy(async () => {
      const x = requiresGrad(tensor([0.5]));
      const y = requiresGrad(tensor([2]));
      const z = add(mul(x, y), mul(exp(x), x)); // ∂x = y + eˣ(1 + x), ∂y = x
      const [gx, gy] = grad(sum(z), [x, y]);
      const [a, b] = await readAll([gx, gy]);
      expect(a[0]).toBeCloseTo(2 + Math.exp(0.5) * 1.5, 5);
      expect(b[0]).toBe(0.5);
    });
  });
  it('a tensor used 9 times: its contributions are summed (in dispatches of up to 7), with and without createGraph', async () => {
    await tidy(async () => {
      const x = requiresGrad(tensor([1, -2, 3]));
      const uses = (k: number) => Array.from({ length: 9 }, (_, i) => mul(x, i + k)).reduce((a, b) => add(a, b));
      const [g] = grad(sum(uses(1)), x);
      const [gc] = grad(sum(uses(2)), x, { createGraph: true });
      const [gg] = grad(sum(mul(gc, x)), x); // d/dx Σ (Σ_i (i+2))·x = 54
      expect([arr(await g.data()), arr(await gc.data()), arr(await gg.data())]).toEqual([[45, 45, 45], [54, 54, 54], [54, 54, 54]]);
    });
  });
  it('createGraph: second and third derivatives of x³ are 6x and 6', async () => {
    await tidy(async () => {
      const x = requiresGrad(tensor([1, -2, 0.5]));
      const [g1] = grad(sum(mul(mul(x, x), x)), x, { createGraph: true });
      expect(g1.requiresGrad).toBe(true);
      const [g2] = grad(sum(g1), x, { createGraph: true });
      const [g3] = grad(sum(g2), x);
      const [a, b, c] = await readAll([g1, g2, g3]);
      expect(arr(a)).toEqual([3, 12, 0.75]);
      expect(arr(b)).toEqual([6, -12, 3]);
      expect(arr(c)).toEqual([6, 6, 6]);
    });
  });
  it('without createGraph the gradient is a constant (off the tape)', () => {
    tidy(() => {
      const x = requiresGrad(tensor([1, 2]));
      const [g] = grad(sum(mul(x, x)), x);
      expect(g.requiresGrad).toBe(false);
      expect(g.node).toBeNull();
    });
  });
  it('a second pass through a released graph is an error; retainGraph allows it', async () => {
    await tidy(async () => {
      const x = requiresGrad(tensor([1, 2]));
      const y = sum(tanh(x));
      grad(y, x);
      expect(() => grad(y, x)).toThrow(/backward through the graph a second time.*retainGraph/);
      const z = sum(tanh(x));
      const [g1] = grad(z, x, { retainGraph: true });
      const [g2] = grad(z, x);
      const [a, b] = await readAll([g1, g2]);
      expect(arr(a)).toEqual(arr(b));
      expect(() => grad(z, x)).toThrow(/second time/);
    });
  });
  it('allowUnused gives null for an input the outputs do not depend on; otherwise an error', () => {
    tidy(() => {
      const x = requiresGrad(tensor([1, 2]));
      const u = requiresGrad(tensor([3]));
      const y = sum(mul(x, x));
      expect(() => grad(y, [x, u], { retainGraph: true })).toThrow(/input 1 .* was not used.*allowUnused/);
      const [gx, gu] = grad(y, [x, u], { allowUnused: true });
      expect(gx).not.toBeNull();
      expect(gu).toBeNull();
    });
  });
  it('errors: an input without requiresGrad, an output that does not require grad, an implied gradient for a non-scalar, a gradOutputs shape', () => {
    tidy(() => {
      const x = requiresGrad(tensor([1, 2]));
      const c = tensor([3, 4]);
      const y = mul(x, c);
      expect(() => grad(sum(y), [x, c])).toThrow(/grad: input 1 .* does not require grad/);
      expect(() => grad(sum(c), c)).toThrow(/does not require grad/);
      expect(() => grad(sum(mul(c, c)), x)).toThrow(/grad: output 0 .* does not require grad/);
      expect(() => grad(y, x)).toThrow(/output 0 has shape \[2\].*pass gradOutputs/);
      expect(() => grad(y, x, { gradOutputs: tensor([1, 2, 3]) })).toThrow(/gradOutputs\[0\] has shape \[3\] but output has \[2\]/);
    });
  });
  it('grad w.r.t. an intermediate stops there: it neither needs the tensors behind it nor leaves gradients for them', async () => {
    const x = requiresGrad(keep(tensor([0.5, -1, 2])));
    // h is made in a scope that disposes its inputs' intermediates (mul(x, 2) is gone afterwards).
    const h = tidy(() => tanh(mul(x, 2)));
    const before = memory().liveTensors;
    const y = sum(mul(h, h));
    const [gh] = grad(y, h); // 2h
    // What is left: y, h·h, and the one returned gradient.
    expect(memory().liveTensors - before).toBe(3);
    const [hv, gv] = await readAll([h, gh]);
    expect(arr(gv)).toEqual(arr(hv).map((v) => Math.fround(2 * v)));
    for (const t of [x, h, y, gh]) t.dispose();
  });
  it('grad w.r.t. a leaf and an intermediate behind it at once', async () => {
    await tidy(async () => {
      const x = requiresGrad(tensor([1, 2]));
      const h = mul(x, 3);
      const [gh, gx] = grad(sum(mul(h, h)), [h, x]); // 2h, 6h = 18x
      const [a, b] = await readAll([gh, gx]);
      expect(arr(a)).toEqual([6, 12]);
      expect(arr(b)).toEqual([18, 36]);
    });
  });
  it('with disposed forward intermediates the error names the op and the fix', () => {
    const x = requiresGrad(tensor([1, 2]));
    const y = tidy(() => sum(exp(mul(x, 2))));
    expect(() => grad(y, x)).toThrow(/grad: sum needs its input Tensor#\d+\[2\].*\(exp\), which was disposed/);
    x.dispose();
    y.dispose();
  });
  it('gradients do not flow into tensors without requiresGrad, even when they feed the graph', async () => {
    await tidy(async () => {
      const w = requiresGrad(tensor([[1, 2], [3, 4]]));
      const a = tensor([[1, 1]]);
      const [gw] = grad(sum(matmul(a, w)), w);
      expect(arr(await gw.data())).toEqual([1, 1, 1, 1]);
    });
  });
});

describe('backward() and .grad', () => {
  it('accumulates into .grad of leaves across calls; intermediates get none', async () => {
    const w = keep(requiresGrad(tensor([1, -1, 2])));
    for (let i = 0; i < 2; i++) {
      tidy(() => {
        const h = mul(w, w);
        sum(mul(h, 3)).backward();
        expect(h.grad).toBeNull();
      });
    }
    expect(w.grad).not.toBeNull();
    expect(w.grad!.isDisposed).toBe(false); // .grad outlives the tidy that computed it
    expect(arr(await w.grad!.data())).toEqual([12, -12, 24]); // 2 × 6w
    w.grad!.dispose();
    w.dispose();
  });
  it('gradOutput for a non-scalar; an error without it', async () => {
    await tidy(async () => {
      const x = requiresGrad(tensor([1, 2]));
      const y = mul(x, x);
      expect(() => y.backward()).toThrow(/backward: loss has shape \[2\]; pass gradOutput/);
      backward(y, { gradOutput: tensor([1, -1]) });
      expect(arr(await x.grad!.data())).toEqual([2, -4]);
      x.grad!.dispose();
    });
  });
  it('a second backward through the same graph needs retainGraph', async () => {
    await tidy(async () => {
      const x = requiresGrad(tensor([3]));
      const y = sum(mul(x, x));
      y.backward(undefined, { retainGraph: true });
      y.backward();
      expect(() => y.backward()).toThrow(/second time/);
      expect(await x.grad!.item()).toBe(12);
      x.grad!.dispose();
    });
  });
  it('createGraph makes .grad differentiable (a gradient penalty through backward)', async () => {
    await tidy(async () => {
      const x = requiresGrad(tensor([1, 2]));
      sum(mul(mul(x, x), x)).backward(undefined, { createGraph: true });
      const [g2] = grad(sum(x.grad!), x); // d/dx Σ 3x² = 6x
      expect(arr(await g2.data())).toEqual([6, 12]);
      x.grad!.dispose();
    });
  });
});

describe('noGrad, detach, requiresGrad', () => {
  it('noGrad records nothing, nests, restores after a throw, and passes through promises', async () => {
    await tidy(async () => {
      const x = requiresGrad(tensor([1, 2]));
      const y = noGrad(() => {
        expect(isGradEnabled()).toBe(false);
        noGrad(() => undefined);
        expect(isGradEnabled()).toBe(false);
        return mul(x, x);
      });
      expect(isGradEnabled()).toBe(true);
      expect(y.requiresGrad).toBe(false);
      expect(y.node).toBeNull();
      expect(() => noGrad(() => { throw new Error('boom'); })).toThrow('boom');
      expect(isGradEnabled()).toBe(true);
      const z = await noGrad(async () => { await Promise.resolve(); return mul(x, 2); });
      expect(z.requiresGrad).toBe(false);
      expect(isGradEnabled()).toBe(true);
      expect(mul(x, x).requiresGrad).toBe(true);
    });
  });
  it('detach shares the values and cuts the tape', async () => {
    await tidy(async () => {
      const x = requiresGrad(tensor([1, 2]));
      const h = mul(x, 3);
      const d = h.detach();
      expect(d.requiresGrad).toBe(false);
      expect(d.node).toBeNull();
      expect(arr(await d.data())).toEqual([3, 6]);
      const [g] = grad(sum(mul(h, d)), x); // d/dx (3x · stop(3x)) = 3·stop(3x)
      expect(arr(await g.data())).toEqual([9, 18]);
    });
  });
  it('requiresGrad is for leaves', () => {
    tidy(() => {
      const x = requiresGrad(tensor([1]));
      expect(() => requiresGrad(mul(x, 2))).toThrow(/requiresGrad: .* is not a leaf \(it was made by mul\)/);
      expect(tensor([1]).requiresGrad_().requiresGrad).toBe(true);
    });
  });
});

describe('memory scopes', () => {
  it('tidy disposes what it made except its result (nested values too); keep() escapes', async () => {
    const base = memory().liveTensors;
    let inner: Tensor | null = null;
    let kept: Tensor | null = null;
    const out = tidy(() => {
      inner = tensor([1, 2]);
      kept = keep(tensor([3]));
      const a = add(inner, 1);
      return { a, list: [mul(a, 2)] };
    });
    expect(inner!.isDisposed).toBe(true);
    expect(kept!.isDisposed).toBe(false);
    expect(memory().liveTensors - base).toBe(3);
    expect(arr(await out.list[0].data())).toEqual([4, 6]);
    expect(() => inner!.buffer).toThrow(/was disposed; it cannot be used any more/);
    out.a.dispose();
    out.list[0].dispose();
    kept!.dispose();
    kept!.dispose(); // twice is harmless
    expect(memory().liveTensors).toBe(base);
  });
  it('nested tidy hands its result to the enclosing scope', () => {
    const base = memory().liveTensors;
    tidy(() => {
      const r = tidy(() => add(tensor([1]), 1));
      expect(r.isDisposed).toBe(false);
      expect(memory().liveTensors - base).toBe(1);
    });
    expect(memory().liveTensors).toBe(base);
  });
  it('async tidy closes when the promise settles, also on rejection', async () => {
    const base = memory().liveTensors;
    const v = await tidy(async () => {
      const t = mul(tensor([2]), 3);
      return t.item();
    });
    expect(v).toBe(6);
    await expect(tidy(async () => { zeros([3]); throw new Error('late'); })).rejects.toThrow('late');
    expect(memory().liveTensors).toBe(base);
  });
  it('grad() without createGraph leaves only the returned gradients; with createGraph tidy frees the rest', () => {
    const w1 = keep(requiresGrad(tensor([[0.5, -1], [2, 0.25]])));
    const w2 = keep(requiresGrad(tensor([[1], [-1]])));
    const x = keep(requiresGrad(tensor([[1, 2]])));
    const base = memory().liveTensors;
    const [gx] = tidy(() => grad(sum(tanh(matmul(tanh(matmul(x, w1)), w2))), x));
    expect(memory().liveTensors - base).toBe(1);
    gx.dispose();
    const [gw] = tidy(() => {
      const [g] = grad(sum(tanh(matmul(x, w1))), x, { createGraph: true });
      return grad(sum(mul(g, g)), w1);
    });
    expect(memory().liveTensors - base).toBe(1);
    for (const t of [gw, w1, w2, x]) t.dispose();
  });
});
