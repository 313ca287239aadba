import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFile } from 'node:fs/promises';
import { init, destroyDevice, nn, readAll, tidy, randn, grad, mul, sum, loadSafetensors, type Tensor } from '../../src/index.ts';
import { expectClose } from '../helpers/gradcheck.ts';
import { Block } from '../helpers/torch_block.ts';

beforeAll(async () => { await init(); });
afterAll(() => destroyDevice());

describe('nn layers', () => {
  it('forward shapes', () => {
    tidy(() => {
      const x = randn([2, 3, 8, 8]);
      const cases: [nn.Module, number[]][] = [
        [new nn.Conv2d(3, 5, 4, { stride: 2, padding: 1 }), [2, 5, 4, 4]],
        [new nn.Conv2d(3, 5, 3), [2, 5, 6, 6]],
        [new nn.Conv2d(3, 5, 7, { padding: 3, bias: false }), [2, 5, 8, 8]],
        [new nn.ConvTranspose2d(3, 5, 4, { stride: 2, padding: 1 }), [2, 5, 16, 16]],
        [new nn.ConvTranspose2d(3, 2, 3, { stride: 2, padding: 1, outputPadding: 1 }), [2, 2, 16, 16]],
        [new nn.InstanceNorm2d(3), [2, 3, 8, 8]],
        [new nn.InstanceNorm2d(3, { affine: true }), [2, 3, 8, 8]],
        [new nn.LeakyReLU(0.2), [2, 3, 8, 8]],
      ];
      for (const [m, shape] of cases) expect([...m.call(x).shape], m.constructor.name).toEqual(shape);
      expect(() => new nn.InstanceNorm2d(4).call(x)).toThrow(/InstanceNorm2d\(4\): expected input \[N, 4, H, W\], got \[2, 3, 8, 8\]/);
      for (const [m] of cases) m.dispose();
    });
  });

  it('a gradient reaches every parameter', async () => {
    await tidy(async () => {
      const m = new nn.Sequential(
        new nn.Conv2d(3, 4, 3, { padding: 1 }), new nn.InstanceNorm2d(4, { affine: true }), new nn.LeakyReLU(0.2),
        new nn.ConvTranspose2d(4, 2, 4, { stride: 2, padding: 1 }), new nn.Tanh());
      const y = m.call(randn([2, 3, 4, 4]));
      const loss = sum(mul(y, randn(y.shape)));
      const names = m.namedParameters().map(([n]) => n);
      expect(names).toEqual(['0.weight', '0.bias', '1.weight', '1.bias', '3.weight', '3.bias']);
      const gs = grad(loss, m.parameters());
      const vals = await readAll(gs);
      names.forEach((n, i) => {
        expect([...gs[i].shape], n).toEqual([...m.parameters()[i].shape]);
        expect(vals[i].every(Number.isFinite), n).toBe(true);
        const norm = Math.sqrt(vals[i].reduce((a, v) => a + v * v, 0));
        // A bias right before InstanceNorm is cancelled by the mean subtraction: its gradient is 0.
        if (n === '0.bias') expect(norm, n).toBeLessThan(1e-4);
        else expect(norm, n).toBeGreaterThan(1e-3);
      });
      m.dispose();
    });
  });

  it("loads PyTorch's state_dict and reproduces PyTorch's output (fixtures/torch_block.py)", async () => {
    const bytes = new Uint8Array(await readFile(new URL('./fixtures/torch_block.safetensors', import.meta.url)));
    await tidy(async () => {
      const { tensors } = loadSafetensors(bytes);
      const { input, output, ...state } = tensors;
      const m = new Block();
      m.loadStateDict(state);
      const y = m.call(input);
      expect([...y.shape]).toEqual([...output.shape]);
      const [got, want] = await readAll([y, output]);
      expectClose('Block vs PyTorch', got, want, 1e-5, 1e-4);
      m.dispose();
    });
  });
});
