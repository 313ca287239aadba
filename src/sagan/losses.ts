/**
 * @file SaGAN's losses (ECCV 2018, as in ../shared/sagan-spec.md): WGAN-GP critic loss with the
 * gradient penalty, BCE-with-logits attribute loss, and the generator's adversarial + attribute +
 * dual (back-translation) + identity reconstruction terms.
 */
import {
  Tensor, grad, abs, add, mean, mul, sub, sum, sqrt, reshape, noGrad, bceWithLogits as bceElementwise,
} from '../engine/index.ts';
import type { Generator, Discriminator } from './model.ts';

export interface LossWeights {
  gp: number;
  cls: number;
  rec: number;
  idt: number;
  /**
   * Not in the paper (0 or absent there): the critic's class head also learns that an edit G(x, t) still
   * has its source label c_g, with this weight: + λ·BCE(cls(G(x, t)), c_g). Why: trained on real faces only,
   * the class head keeps the cheapest cue that separates them (the lenses' tint) and G learns to paint that
   * cue instead of glasses; shown the fakes as "not edited", it must keep finding what real glasses have
   * and the edits lack, until the edits have it too.
   */
  clsFake?: number;
}
/** The paper's weights: λ_gp = 10, attribute 1, dual reconstruction 20, identity 100. */
export const PAPER_WEIGHTS: LossWeights = { gp: 10, cls: 1, rec: 20, idt: 100 };

/**
 * mean over the batch of BCE(σ(z), y) in the stable form max(z, 0) − z·y + log(1 + e^(−|z|)),
 * as torch.nn.functional.binary_cross_entropy_with_logits.
 */
export function bceWithLogits(z: Tensor, y: Tensor): Tensor {
  return mean(bceElementwise(z, y.shape.join() === z.shape.join() ? y : reshape(y, z.shape)));
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
export function gradientPenalty(D: Discriminator, real: Tensor, fake: Tensor, eps: Tensor, aug: CriticView = (x) => x): Tensor {
  const n = real.shape[0];
  const e = reshape(eps, [n, 1, 1, 1]);
  const xh = add(mul(e, real), mul(sub(1, e), fake));
  xh.requiresGrad = true; // a leaf: real and fake carry no tape here
  const [g] = grad(sum(D.forward(aug(xh)).src), xh, { createGraph: true });
  // ‖g‖ per sample; + 1e-12 keeps the sqrt differentiable where g = 0 (PyTorch's norm gives 0 there).
  const norm = sqrt(add(sum(mul(g, g), [1, 2, 3]), 1e-12));
  const d = sub(norm, 1);
  return mean(mul(d, d));
}

/**
 * What the critic sees of an image: the identity (the paper), or a differentiable random augmentation
 * (augment.ts) — applied to reals, edits and the penalty's interpolates alike, with gradients through it.
 */
export type CriticView = (x: Tensor) => Tensor;

export interface DLoss {
  loss: Tensor;
  gp: Tensor;
  cls: Tensor;
  adv: Tensor;
  /** BCE(cls(G(x, t)), c_g) when weights.clsFake > 0, else null. */
  clsFake: Tensor | null;
}

/** Critic loss: mean src(fake) − mean src(real) + λ_gp·GP + λ_cls·BCE(cls(real), c_g) [+ λ_clsFake·BCE(cls(fake), c_g)]. */
export function discriminatorLoss(G: Generator, D: Discriminator, real: Tensor, cG: Tensor, eps: Tensor, w: LossWeights = PAPER_WEIGHTS, aug: CriticView = (x) => x): DLoss {
  const fake = noGrad(() => G.forward(real, sub(1, cG)).image);
  const r = D.forward(aug(real));
  const f = D.forward(aug(fake));
  const adv = sub(mean(f.src), mean(r.src));
  const gp = gradientPenalty(D, real, fake, eps, aug);
  const cls = bceWithLogits(r.cls, cG);
  let loss = add(add(adv, mul(gp, w.gp)), mul(cls, w.cls));
  const clsFake = w.clsFake ? bceWithLogits(f.cls, cG) : null;
  if (clsFake) loss = add(loss, mul(clsFake, w.clsFake!));
  return { loss, gp, cls, adv, clsFake };
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
export function generatorLoss(G: Generator, D: Discriminator, real: Tensor, cG: Tensor, w: LossWeights = PAPER_WEIGHTS, aug: CriticView = (x) => x): GLoss {
  const t = sub(1, cG);
  const { image: fake, mask } = G.forward(real, t);
  const d = D.forward(aug(fake));
  const adv = mul(mean(d.src), -1);
  const cls = bceWithLogits(d.cls, t);
  const rec = l1(G.forward(fake, cG).image, real);
  const idt = l1(G.forward(real, cG).image, real);
  const loss = add(add(add(adv, mul(cls, w.cls)), mul(rec, w.rec)), mul(idt, w.idt));
  return { loss, adv, cls, rec, idt, maskMean: mask ? noGrad(() => mean(mask)) : null, fake, mask };
}
