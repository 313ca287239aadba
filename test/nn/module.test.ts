import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { init, destroyDevice, nn, tensor, readAll, tidy, manualSeed, randn, grad, memory, type Tensor } from '../../src/index.ts';
import { Block } from '../helpers/torch_block.ts';

beforeAll(async () => { await init(); });
afterAll(() => destroyDevice());

describe('nn.Module', () => {
  it('names parameters as PyTorch does for nested Sequentials', () => {
    tidy(() => {
      const m = new Block();
      // Printed by PyTorch 1.13 for the same module (test/nn/fixtures/torch_block.py): named_parameters().
      const pytorch: [string, number[]][] = [
        ['main.0.weight', [4, 3, 3, 3]], ['main.0.bias', [4]], ['main.1.weight', [4]], ['main.1.bias', [4]],
        ['main.3.0.weight', [4, 4, 3, 3]], ['main.4.weight', [4, 2, 4, 4]], ['main.4.bias', [2]],
        ['head.weight', [1, 2]], ['head.bias', [1]],
      ];
      expect(m.namedParameters().map(([n, p]) => [n, [...p.shape]])).toEqual(pytorch);
      expect(Object.keys(m.stateDict())).toEqual(pytorch.map(([n]) => n));
      expect(m.numParameters()).toBe(397);
      expect(m.parameters().every((p) => p.requiresGrad && !p.node)).toBe(true);
      expect(m.namedModules().map(([n]) => n)).toEqual(['', 'main', 'main.0', 'main.1', 'main.2', 'main.3', 'main.3.0', 'main.3.1', 'main.4', 'main.5', 'head']);
      m.dispose();
    });
  });

  it('counts parameters like PyTorch', () => {
    tidy(() => {
      const cases: [nn.Module, number][] = [
        [new nn.Conv2d(3, 64, 4), 3136], // 64·3·4·4 + 64
        [new nn.Conv2d(3, 64, 4, { bias: false }), 3072],
        [new nn.ConvTranspose2d(64, 32, 4), 32800], // 64·32·16 + 32
        [new nn.InstanceNorm2d(8), 0],
        [new nn.InstanceNorm2d(8, { affine: true }), 16],
        [new nn.Linear(10, 5), 55],
        [new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU(), new nn.Linear(3, 1)), 13],
      ];
      for (const [m, n] of cases) {
        expect(m.numParameters(), m.constructor.name).toBe(n);
        m.dispose();
      }
    });
  });

  it('keeps parameters alive outside tidy scopes', async () => {
    const m = tidy(() => new nn.Linear(3, 2));
    expect(m.parameters().every((p) => !p.isDisposed)).toBe(true);
    const [w] = await readAll([m.weight]);
    expect(w.length).toBe(6);
    m.dispose();
    expect(m.parameters().every((p) => p.isDisposed)).toBe(true);
  });

  it("initialises like PyTorch: U(±1/√fan_in) for weights and biases; ConvTranspose2d's fan_in from weight dim 1", async () => {
    await tidy(async () => {
      manualSeed(123);
      const conv = new nn.Conv2d(16, 64, 4); // fan_in 16·16 = 256 → bound 1/16
      const convT = new nn.ConvTranspose2d(64, 8, 4); // weight [64, 8, 4, 4]: fan_in 8·16 = 128 (not 64·16)
      const lin = new nn.Linear(50, 40); // fan_in 50
      const checks: [string, Tensor, number][] = [
        ['conv.weight', conv.weight, 1 / 16], ['conv.bias', conv.bias!, 1 / 16],
        ['convT.weight', convT.weight, 1 / Math.sqrt(128)], ['convT.bias', convT.bias!, 1 / Math.sqrt(128)],
        ['lin.weight', lin.weight, 1 / Math.sqrt(50)],
      ];
      const vals = await readAll(checks.map(([, t]) => t));
      checks.forEach(([name, t, bound], i) => {
        const v = vals[i];
        const maxAbs = v.reduce((a, x) => Math.max(a, Math.abs(x)), 0);
        expect(maxAbs, `${name} within bound`).toBeLessThanOrEqual(bound);
        if (v.length >= 1000) {
          // The largest of n uniforms on [−b, b] lies within b·(1 − 10/n) with probability 1 − e^−10.
          expect(maxAbs, `${name} reaches its bound`).toBeGreaterThan(bound * (1 - 10 / v.length));
          const mean = v.reduce((a, x) => a + x, 0) / v.length;
          const variance = v.reduce((a, x) => a + (x - mean) ** 2, 0) / v.length;
          expect(Math.abs(mean), `${name} mean`).toBeLessThan(5 * bound / Math.sqrt(3 * v.length));
          expect(variance / (bound * bound / 3), `${name} variance / (b²/3)`).toBeCloseTo(1, 1);
        }
      });
      for (const m of [conv, convT, lin]) m.dispose();
    });
  });

  it('initialises N(0, σ) with zero biases on request', async () => {
    await tidy(async () => {
      const conv = new nn.Conv2d(32, 64, 4, { init: { normal: 0.02 } });
      const [w, b] = await readAll([conv.weight, conv.bias!]);
      const n = w.length;
      const mean = w.reduce((a, x) => a + x, 0) / n;
      const std = Math.sqrt(w.reduce((a, x) => a + (x - mean) ** 2, 0) / n);
      expect(Math.abs(mean)).toBeLessThan(5 * 0.02 / Math.sqrt(n));
      expect(Math.abs(std / 0.02 - 1)).toBeLessThan(0.03); // n = 32768: the sample std is within ~0.4 %
      const within1 = w.filter((x) => Math.abs(x) < 0.02).length / n;
      expect(within1).toBeCloseTo(0.6827, 1); // bell-shaped, not uniform (which would give 0.577 at σ)
      expect(Array.from(b).every((x) => x === 0)).toBe(true);
      conv.dispose();
      expect(() => new nn.Linear(2, 2, { init: { normal: -1 } })).toThrow(/init/);
    });
  });

  it('is reproducible from manualSeed', async () => {
    await tidy(async () => {
      manualSeed(7);
      const a = new nn.Conv2d(3, 4, 3);
      manualSeed(7);
      const b = new nn.Conv2d(3, 4, 3);
      const c = new nn.Conv2d(3, 4, 3);
      const [wa, wb, wc] = await readAll([a.weight, b.weight, c.weight]);
      expect(Array.from(wb)).toEqual(Array.from(wa));
      expect(Array.from(wc)).not.toEqual(Array.from(wa));
      for (const m of [a, b, c]) m.dispose();
    });
  });

  it('loadStateDict validates everything and changes nothing on error', async () => {
    await tidy(async () => {
      const m = new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU(), new nn.Linear(3, 1));
      const before = await readAll(m.parameters());
      const good = {
        '0.weight': tensor([1, 2, 3, 4, 5, 6], [3, 2]), '0.bias': tensor([0, 0, 0]),
        '2.weight': tensor([1, 1, 1], [1, 3]), '2.bias': tensor([0.5]),
      };
      const { '2.bias': _omit, ...missing } = good;
      expect(() => m.loadStateDict(missing)).toThrow(/missing keys: 2\.bias/);
      expect(() => m.loadStateDict({ ...good, 'extra.weight': tensor([1]) })).toThrow(/unexpected keys: extra\.weight/);
      let err = '';
      try {
        m.loadStateDict({ ...missing, '0.weight': tensor([1, 2, 3, 4, 5, 6], [2, 3]), bogus: tensor([1]) });
      } catch (e) {
        err = (e as Error).message;
      }
      // One error lists every problem.
      expect(err).toMatch(/nothing was loaded/);
      expect(err).toMatch(/missing keys: 2\.bias/);
      expect(err).toMatch(/unexpected keys: bogus/);
      expect(err).toMatch(/shape mismatch for '0\.weight': checkpoint \[2, 3\], module \[3, 2\]/);
      const after = await readAll(m.parameters());
      after.forEach((a, i) => expect(Array.from(a)).toEqual(Array.from(before[i])));

      // Non-strict: missing and unexpected keys are reported, not fatal; shape mismatches still are.
      const r = m.loadStateDict({ ...missing, bogus: tensor([1]) }, { strict: false });
      expect(r).toEqual({ missingKeys: ['2.bias'], unexpectedKeys: ['bogus'] });
      expect(() => m.loadStateDict({ '0.bias': tensor([1, 2]) }, { strict: false })).toThrow(/shape mismatch for '0\.bias'/);
      // Host values (from parseSafetensors) load too.
      m.loadStateDict({ ...good, '2.bias': { dtype: 'F32', shape: [1], data: Float32Array.of(-4) } });
      const y = m.call(tensor([1, -1], [1, 2]));
      // relu([1·1 + 2·(−1), 3 − 4, 5 − 6]) = 0 → Σ + (−4)
      expect(Array.from(await y.data())).toEqual([-4]);
      m.dispose();
    });
  });

  it('zeroGrad, train/eval and gradients through call()', async () => {
    await tidy(async () => {
      const m = new nn.Sequential(new nn.Linear(4, 3), new nn.Tanh(), new nn.Linear(3, 2), new nn.Sigmoid());
      expect(m.training).toBe(true);
      m.eval();
      expect(m.namedModules().every(([, c]) => !c.training)).toBe(true);
      m.train();
      expect(m.namedModules().every(([, c]) => c.training)).toBe(true);
      const x = randn([5, 4]);
      m.call(x).sum().backward();
      expect(m.parameters().every((p) => p.grad && p.grad.shape.join() === p.shape.join())).toBe(true);
      const gs = grad(m.call(x).sum(), m.parameters());
      const [g0, gg0] = await readAll([m.parameters()[0].grad!, gs[0]]);
      expect(Array.from(g0)).toEqual(Array.from(gg0));
      const live = memory().liveTensors;
      m.zeroGrad();
      expect(m.parameters().every((p) => p.grad === null)).toBe(true);
      expect(memory().liveTensors).toBe(live - 4);
      m.dispose();
    });
  });

  it('rejects bad registrations', () => {
    class Bad extends nn.Module {
      constructor(name: string) {
        super();
        this.registerModule('a', new nn.ReLU());
        this.registerModule(name, new nn.ReLU());
      }
      forward(x: Tensor) {
        return x;
      }
    }
    expect(() => new Bad('a')).toThrow(/'a' is already registered/);
    expect(() => new Bad('x.y')).toThrow(/contain no '\.'/);
  });
});
