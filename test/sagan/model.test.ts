/**
 * @file SaGAN model: parameter counts of the paper configuration (PyTorch's numbers for the same
 * layers), parameter names, output shapes and ranges, and the composition G = b·AMN + (1 − b)·x.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { init, destroyDevice, tensor, readAll, tidy, noGrad, randn, rand, manualSeed } from '../../src/index.ts';
import { Generator, Discriminator, PAPER_CONFIG } from '../../src/sagan/model.ts';
import { generatorLoss, PAPER_WEIGHTS } from '../../src/sagan/losses.ts';
import { grad } from '../../src/index.ts';

beforeAll(async () => { await init(); });
afterAll(() => destroyDevice());

describe('SaGAN model', () => {
  it('has the paper configuration\'s parameter counts (128², w32, 4 residual blocks)', () => {
    const G = new Generator(PAPER_CONFIG), D = new Discriminator(PAPER_CONFIG);
    expect(G.numParameters()).toBe(12_212_452);
    expect(D.numParameters()).toBe(11_190_754);
    expect(G.amn.numParameters()).toBe(6_108_579);
    expect(G.san!.numParameters()).toBe(6_103_873);
    G.dispose();
    D.dispose();
  });

  it('names parameters as the PyTorch port does', () => {
    const cfg = { size: 16, width: 4, nRes: 1, attention: true };
    const G = new Generator(cfg), D = new Discriminator(cfg);
    const g = Object.keys(G.stateDict()), d = Object.keys(D.stateDict());
    expect(g.slice(0, 4)).toEqual(['amn.main.0.weight', 'amn.main.0.bias', 'amn.main.3.weight', 'amn.main.3.bias']);
    expect(g).toContain('amn.main.12.main.0.weight'); // the residual block after 4 conv stages
    expect(g).toContain('amn.main.12.main.3.bias');
    expect(g).toContain('san.main.22.weight'); // the last conv: 12 + 1 residual block + 3·3 up-layers
    expect(g.filter((k) => k.startsWith('san.')).length).toBe(g.length / 2);
    expect(d).toEqual(['main.0.weight', 'main.0.bias', 'main.2.weight', 'main.2.bias', 'main.4.weight', 'main.4.bias',
      'src.weight', 'src.bias', 'cls.weight', 'cls.bias']);
    G.dispose();
    D.dispose();
  });

  it('--down sets the generator\'s down-sampling stages: names as the PyTorch port, same image size, bad values refused', async () => {
    const cfg = { size: 16, width: 4, nRes: 1, attention: true, down: 1 };
    const G = new Generator(cfg);
    const g = Object.keys(G.stateDict());
    expect(g).toContain('amn.main.6.main.0.weight'); // conv7 block, 1 down stage, then the residual block
    expect(g).toContain('san.main.10.weight'); // the last conv: 6 + 1 residual block + 1·3 up-layers
    expect(g).not.toContain('san.main.22.weight');
    // conv7 (4·4·49 + 4) + down (4·8·16 + 8) + res (2·(8·8·9 + 8)) + up (8·4·16 + 4) + conv7 (4·3·49 + 3)
    expect(G.amn.numParameters()).toBe(788 + 520 + 1168 + 516 + 591);
    const [y] = await tidy(async () => readAll([noGrad(() => G.call(randn([1, 3, 16, 16]).tanh(), tensor([1], [1]))).image]));
    expect(y.length).toBe(3 * 16 * 16);
    G.dispose();
    expect(() => new Generator({ ...cfg, down: 4 })).toThrow(/down 4 must be an integer from 0 to 3/);
    expect(new Generator({ ...cfg, down: undefined }).amn.numParameters()).toBe(new Generator({ ...cfg, down: 3 }).amn.numParameters());
  });

  it('a residual AMN (--amn-residual) has the paper AMN\'s parameters and predicts the change: f = 0 keeps 0.99·x', async () => {
    const cfg = { size: 16, width: 4, nRes: 1, attention: true, down: 2 };
    const plain = new Generator(cfg), res = new Generator({ ...cfg, residual: true });
    const names = (g: Generator) => Object.entries(g.stateDict()).map(([k, v]) => `${k}:${v.shape.join('x')}`);
    expect(names(res)).toEqual(names(plain));
    const last = Object.keys(res.amn.stateDict()).filter((k) => k.startsWith('main.')).slice(-2); // the last conv7
    res.amn.loadStateDict(Object.fromEntries(last.map((k) => {
      const shape = res.amn.stateDict()[k].shape;
      return [k, { dtype: 'F32' as const, shape: [...shape], data: new Float32Array(shape.reduce((a, b) => a * b, 1)) }];
    })), { strict: false });
    const [x, y] = await tidy(async () => {
      const x = noGrad(() => randn([2, 3, 16, 16]).tanh());
      return readAll([x, noGrad(() => res.amn.call(x, tensor([1, 0], [2])))]);
    });
    for (let i = 0; i < x.length; i++) expect(y[i]).toBeCloseTo(0.99 * x[i], 5);
    expect(() => new Generator({ ...cfg, residual: 1 as unknown as boolean })).toThrow(/residual must be true or false/);
    plain.dispose();
    res.dispose();
  });

  it('conditional norms (--amn-cond): a shift c·δ after each trunk norm of the AMN — δ = 0 or c = 0 is the plain AMN, c = 1 is shifted', async () => {
    manualSeed(5);
    const cfg = { size: 16, width: 4, nRes: 1, attention: true, down: 1, residual: true };
    const plain = new Generator(cfg), cond = new Generator({ ...cfg, condNorm: true });
    const p = plain.amn.stateDict(), q = cond.amn.stateDict();
    const deltas = Object.keys(q).filter((k) => k.endsWith('.delta'));
    // conv7's norm, the down stage's and the up stage's; each shift sits between its norm and the ReLU.
    expect(deltas).toEqual(['main.2.delta', 'main.6.delta', 'main.11.delta']); // 8 is the residual block
    expect(deltas.map((k) => q[k].shape[0])).toEqual([4, 8, 4]);
    expect(cond.san!.numParameters()).toBe(plain.san!.numParameters()); // the SAN never sees c
    // The plain AMN's weights in the conditional one, in layer order (the shifts move later layers' indices).
    const rest = Object.keys(q).filter((k) => !k.endsWith('.delta'));
    expect(rest.map((k) => q[k].shape.join('x'))).toEqual(Object.values(p).map((v) => v.shape.join('x')));
    const pv = Object.values(p);
    const load = (delta: number) => cond.amn.loadStateDict(Object.fromEntries([
      ...rest.map((k, i) => [k, pv[i]]),
      ...deltas.map((k) => [k, { dtype: 'F32' as const, shape: [...q[k].shape], data: new Float32Array(q[k].shape[0]).map((_, j) => delta * (j % 3 - 1)) }]),
    ]));
    const run = () => tidy(async () => {
      const x = noGrad(() => randn([2, 3, 16, 16], { seed: 7 }).tanh()), c = tensor([1, 0], [2]);
      return readAll([noGrad(() => plain.amn.call(x, c)), noGrad(() => cond.amn.call(x, c))]);
    });
    load(0);
    const [a0, b0] = await run();
    for (let i = 0; i < a0.length; i++) expect(b0[i]).toBeCloseTo(a0[i], 5);
    load(0.5);
    const [a1, b1] = await run();
    const half = a1.length / 2; // face 0 asks for c = 1, face 1 for c = 0
    for (let i = half; i < a1.length; i++) expect(b1[i]).toBeCloseTo(a1[i], 5);
    let moved = 0;
    for (let i = 0; i < half; i++) moved = Math.max(moved, Math.abs(b1[i] - a1[i]));
    expect(moved).toBeGreaterThan(0.05);
    expect(() => new Generator({ ...cfg, condNorm: 1 as unknown as boolean })).toThrow(/condNorm must be true or false/);
    plain.dispose();
    cond.dispose();
  });

  it('a zero-initialised edit (--amn-zero-init) keeps 0.99·x for either c at the start; it needs the residual AMN', async () => {
    const cfg = { size: 16, width: 4, nRes: 1, attention: true, down: 2, residual: true };
    manualSeed(6);
    const G = new Generator({ ...cfg, zeroInit: true });
    manualSeed(6);
    const plain = new Generator(cfg);
    // The same draws as without it (zeroed after the default init): only the AMN's last conv differs.
    const a = G.stateDict(), b = plain.stateDict();
    const differ = await Promise.all(Object.keys(b).map(async (k) => {
      const [u, v] = await readAll([a[k], b[k]]);
      return u.some((x, i) => x !== v[i]) ? k : null;
    }));
    expect(differ.filter(Boolean)).toEqual(['amn.main.16.weight', 'amn.main.16.bias']);
    const [x, y1, y0, p1] = await tidy(async () => {
      const x = noGrad(() => randn([2, 3, 16, 16]).tanh());
      return readAll([x, noGrad(() => G.amn.call(x, tensor([1, 1], [2]))), noGrad(() => G.amn.call(x, tensor([0, 0], [2]))), noGrad(() => plain.amn.call(x, tensor([1, 1], [2])))]);
    });
    for (let i = 0; i < x.length; i++) {
      expect(y1[i]).toBeCloseTo(0.99 * x[i], 6);
      expect(y0[i]).toBeCloseTo(0.99 * x[i], 6);
    }
    expect(p1.some((v, i) => Math.abs(v - 0.99 * x[i]) > 0.01)).toBe(true); // the default init does edit
    expect(() => new Generator({ ...cfg, residual: false, zeroInit: true })).toThrow(/zeroInit needs residual/);
    G.dispose();
    plain.dispose();
  });

  it('computes G(x, c) = b·AMN(x, c) + (1 − b)·x with a mask in [0, 1]', async () => {
    manualSeed(3);
    const cfg = { size: 16, width: 4, nRes: 1, attention: true };
    const G = new Generator(cfg), D = new Discriminator(cfg);
    const [img, mask, amn, x, src, cls] = await tidy(async () => {
      const x = noGrad(() => randn([2, 3, 16, 16]).tanh());
      const c = tensor([1, 0], [2]);
      const out = noGrad(() => G.call(x, c));
      const a = noGrad(() => G.amn.call(x, c));
      const d = noGrad(() => D.call(x));
      expect([...d.src.shape]).toEqual([2, 1, 2, 2]);
      expect([...d.cls.shape]).toEqual([2]);
      return readAll([out.image, out.mask!, a, x, d.src, d.cls]);
    });
    for (let i = 0; i < mask.length; i++) expect(mask[i] >= 0 && mask[i] <= 1).toBe(true);
    for (let i = 0; i < img.length; i++) {
      const b = mask[(Math.floor(i / 768)) * 256 + (i % 256)];
      expect(img[i]).toBeCloseTo(b * amn[i] + (1 - b) * x[i], 5);
    }
    expect(src.every(Number.isFinite) && cls.every(Number.isFinite)).toBe(true);
    G.dispose();
    D.dispose();
  });

  it('idtMask 0: the same loss, the identity term no longer trains the mask (the AMN gets the same gradient)', async () => {
    manualSeed(4);
    const cfg = { size: 16, width: 4, nRes: 1, attention: true };
    const G = new Generator(cfg), D = new Discriminator(cfg);
    const run = (w: typeof PAPER_WEIGHTS) => tidy(() => {
      const x = noGrad(() => rand([2, 3, 16, 16], { seed: 9 }).mul(2).sub(1));
      const c = tensor([1, 0], [2]);
      // Only the identity term: adversarial, class and cycle weights zero so the difference is all its own.
      const g = generatorLoss(G, D, x, c, { ...w, cls: 0, rec: 0, idt: 100 });
      const loss = g.loss.sub(g.adv);
      const amnW = G.amn.parameters(), sanW = G.san!.parameters();
      const grads = grad(loss, [...amnW, ...sanW]);
      return [loss, grads[0], grads[amnW.length]];
    });
    const [paperLoss, paperAmn, paperSan] = await readAll(run(PAPER_WEIGHTS));
    const [loss, amn, san] = await readAll(run({ ...PAPER_WEIGHTS, idtMask: 0 }));
    expect(loss[0]).toBeCloseTo(paperLoss[0], 6);
    for (let i = 0; i < amn.length; i++) expect(amn[i]).toBeCloseTo(paperAmn[i], 6);
    expect(paperSan.some((v) => Math.abs(v) > 1e-6)).toBe(true);
    expect(san.every((v) => v === 0)).toBe(true);
    G.dispose();
    D.dispose();
  });

  it('the no-attention ablation is AMN alone, and bad inputs are named', () => {
    const cfg = { size: 16, width: 4, nRes: 0, attention: false };
    const G = new Generator(cfg);
    expect(G.san).toBeNull();
    expect(Object.keys(G.stateDict()).every((k) => k.startsWith('amn.'))).toBe(true);
    const x = rand([1, 3, 8, 8]);
    expect(() => G.call(x, tensor([1], [1]))).toThrow(/expected images \[N, 3, 16, 16\], got \[1, 3, 8, 8\]/);
    expect(() => new Generator({ ...cfg, size: 24 })).toThrow(/power of two/);
    G.dispose();
  });
});
