/**
 * @file Parity with PyTorch: test/fixtures/sagan_parity.safetensors (written by
 * scripts/fixtures/sagan_torch.py with Debian's torch) holds G's and D's weights, one batch, ε and the
 * attribute values, and PyTorch's losses and gradients for one D step (WGAN-GP, so second derivatives
 * through every conv and LeakyReLU of D) and one G step. The engine must agree within f32 tolerance.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { init, destroyDevice, tensor, grad, readAll, tidy, sub } from '../../src/index.ts';
import { parseSafetensors, toFloat32, type HostTensor } from '../../src/engine/io/safetensors.ts';
import { Generator, Discriminator } from '../../src/sagan/model.ts';
import { discriminatorLoss, generatorLoss, PAPER_WEIGHTS } from '../../src/sagan/losses.ts';
import { expectClose } from '../helpers/gradcheck.ts';

const fx = parseSafetensors(new Uint8Array(readFileSync(new URL('../fixtures/sagan_parity.safetensors', import.meta.url))));
const T = fx.tensors;
const md = fx.metadata;
const cfg = { size: Number(md.size), width: Number(md.width), nRes: Number(md.n_res), attention: true };
const part = (prefix: string): Record<string, HostTensor> =>
  Object.fromEntries(Object.entries(T).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
const upload = (t: HostTensor) => tensor(toFloat32(t), t.shape);

let G: Generator, D: Discriminator;
beforeAll(async () => {
  await init();
  G = new Generator(cfg);
  D = new Discriminator(cfg);
  G.loadStateDict(part('G.'));
  D.loadStateDict(part('D.'));
});
afterAll(() => destroyDevice());

describe('SaGAN parity with PyTorch (one D step, one G step)', () => {
  it('D step: WGAN-GP loss, penalty and every D gradient', async () => {
    const names = D.namedParameters().map(([k]) => k);
    const got = await tidy(async () => {
      const d = discriminatorLoss(G, D, upload(T.real), upload(T.c_g), upload(T.eps));
      const gs = grad(d.loss, D.parameters());
      return readAll([d.loss, d.gp, ...gs]);
    });
    expectClose('d_loss', got[0], toFloat32(T.d_loss), 1e-4, 1e-4);
    expectClose('gp', got[1], toFloat32(T.gp), 1e-4, 1e-4);
    names.forEach((k, i) => expectClose(`dL/d ${k}`, got[2 + i], toFloat32(T[`dgrad.D.${k}`]), 1e-5, 2e-3));
    expect(names.length).toBe(Object.keys(part('dgrad.D.')).length);
  });

  it('D step with the class head on edits (not in the paper): + λ·BCE(cls(G(x, 1 − c)), c), checked on the CPU', async () => {
    const [base, withFake, term, logits, c] = await tidy(async () => {
      const real = upload(T.real), cG = upload(T.c_g), eps = upload(T.eps);
      const d0 = discriminatorLoss(G, D, real, cG, eps);
      const d1 = discriminatorLoss(G, D, real, cG, eps, { ...PAPER_WEIGHTS, clsFake: 0.5 });
      const fake = G.forward(real, sub(1, cG)).image;
      return readAll([d0.loss, d1.loss, d1.clsFake!, D.forward(fake).cls, cG]);
    });
    // BCE with logits in float64: mean of max(z, 0) − z·y + log(1 + e^−|z|).
    let bce = 0;
    logits.forEach((z, i) => (bce += Math.max(z, 0) - z * c[i] + Math.log1p(Math.exp(-Math.abs(z)))));
    bce /= logits.length;
    expectClose('clsFake', term, [bce], 1e-5, 1e-4);
    expectClose('d_loss + 0.5·clsFake', withFake, [base[0] + 0.5 * bce], 1e-4, 1e-4);
  });

  it('G step: adversarial + attribute + reconstruction + identity loss and every G gradient', async () => {
    const names = G.namedParameters().map(([k]) => k);
    const got = await tidy(async () => {
      const g = generatorLoss(G, D, upload(T.real), upload(T.c_g));
      const gs = grad(g.loss, G.parameters());
      return readAll([g.loss, ...gs]);
    });
    expectClose('g_loss', got[0], toFloat32(T.g_loss), 1e-4, 1e-4);
    names.forEach((k, i) => expectClose(`dL/d ${k}`, got[1 + i], toFloat32(T[`ggrad.G.${k}`]), 1e-5, 2e-3));
    expect(names.length).toBe(Object.keys(part('ggrad.G.')).length);
  });
});
