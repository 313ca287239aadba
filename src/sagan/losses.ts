/**
 * @file SaGAN's losses (ECCV 2018, as in ../shared/sagan-spec.md): WGAN-GP critic loss with the
 * gradient penalty, BCE-with-logits attribute loss, and the generator's adversarial + attribute +
 * dual (back-translation) + identity reconstruction terms.
 */
import {
  Tensor, grad, abs, add, exp, log, mean, mul, relu, sub, sum, sqrt, reshape, noGrad,
} from '../engine/index.ts';
import type { Generator, Discriminator } from './model.ts';

export interface LossWeights {
  gp: number;
  cls: number;
  rec: number;
  idt: number;
}
/** The paper's weights: λ_gp = 10, attribute 1, dual reconstruction 20, identity 100. */
export const PAPER_WEIGHTS: LossWeights = { gp: 10, cls: 1, rec: 20, idt: 100 };

/**
 * mean over the batch of BCE(σ(z), y) in the stable form max(z, 0) − z·y + log(1 + e^(−|z|)),
 * as torch.nn.functional.binary_cross_entropy_with_logits.
 */
export function bceWithLogits(z: Tensor, y: Tensor): Tensor {
  return mean(add(sub(relu(z), mul(z, y)), log(add(exp(mul(abs(z), -1)), 1))));
}

/** mean |a − b| (PyTorch's l1_loss). */
export function l1(a: Tensor, b: Tensor): Tensor {
  return mean(abs(sub(a, b)));
}

/**
 * Gradient penalty: mean over samples of (‖∂ Σ src(x̂) / ∂x̂‖₂ − 1)², x̂ = ε·real + (1 − ε)·fake.
 * The gradient is taken with createGraph so the penalty can be differentiated w.r.t. D's weights —
 * a second derivative through every conv and LeakyReLU of D.
 */
export function gradientPenalty(D: Discriminator, real: Tensor, fake: Tensor, eps: Tensor): Tensor {
  const n = real.shape[0];
  const e = reshape(eps, [n, 1, 1, 1]);
  const xh = add(mul(e, real), mul(sub(1, e), fake));
  xh.requiresGrad = true; // a leaf: real and fake carry no tape here
  const [g] = grad(sum(D.forward(xh).src), xh, { createGraph: true });
  // ‖g‖ per sample; + 1e-12 keeps the sqrt differentiable where g = 0 (PyTorch's norm gives 0 there).
  const norm = sqrt(add(sum(mul(g, g), [1, 2, 3]), 1e-12));
  const d = sub(norm, 1);
  return mean(mul(d, d));
}

export interface DLoss {
  loss: Tensor;
  gp: Tensor;
  cls: Tensor;
  adv: Tensor;
}

/** Critic loss: mean src(fake) − mean src(real) + λ_gp·GP + λ_cls·BCE(cls(real), c_g). */
export function discriminatorLoss(G: Generator, D: Discriminator, real: Tensor, cG: Tensor, eps: Tensor, w: LossWeights = PAPER_WEIGHTS): DLoss {
  const fake = noGrad(() => G.forward(real, sub(1, cG)).image);
  const r = D.forward(real);
  const f = D.forward(fake);
  const adv = sub(mean(f.src), mean(r.src));
  const gp = gradientPenalty(D, real, fake, eps);
  const cls = bceWithLogits(r.cls, cG);
  const loss = add(add(adv, mul(gp, w.gp)), mul(cls, w.cls));
  return { loss, gp, cls, adv };
}

export interface GLoss {
  loss: Tensor;
  adv: Tensor;
  cls: Tensor;
  rec: Tensor;
  idt: Tensor;
  /** Mean of the attention mask for the edit (saturation check: near 0 or 1 is the known failure); null without attention. */
  maskMean: Tensor | null;
  fake: Tensor;
  mask: Tensor | null;
}

/** Generator loss: −mean src(G(x,t)) + BCE(cls(G(x,t)), t) + λ_rec‖G(G(x,t),c_g) − x‖₁ + λ_idt‖G(x,c_g) − x‖₁. */
export function generatorLoss(G: Generator, D: Discriminator, real: Tensor, cG: Tensor, w: LossWeights = PAPER_WEIGHTS): GLoss {
  const t = sub(1, cG);
  const { image: fake, mask } = G.forward(real, t);
  const d = D.forward(fake);
  const adv = mul(mean(d.src), -1);
  const cls = bceWithLogits(d.cls, t);
  const rec = l1(G.forward(fake, cG).image, real);
  const idt = l1(G.forward(real, cG).image, real);
  const loss = add(add(add(adv, mul(cls, w.cls)), mul(rec, w.rec)), mul(idt, w.idt));
  return { loss, adv, cls, rec, idt, maskMean: mask ? noGrad(() => mean(mask)) : null, fake, mask };
}
