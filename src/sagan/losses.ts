/**
 * @file SaGAN's losses (ECCV 2018, as in ../shared/sagan-spec.md): WGAN-GP critic loss with the
 * gradient penalty, BCE-with-logits attribute loss, and the generator's adversarial + attribute +
 * dual (back-translation) + identity reconstruction terms.
 */
import {
  Tensor, grad, abs, add, mean, mul, sub, sum, sqrt, reshape, concat, slice, noGrad, tensor, bceWithLogits as bceElementwise,
} from '../engine/index.ts';
import type { Generator, Discriminator, GeneratorOutput } from './model.ts';

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
  /**
   * Not in the paper (1 there): how much of the identity term's gradient reaches the attention mask
   * (0 … 1). The mask never sees c, so ‖G(x, c_g) − x‖₁ = ‖b·(AMN(x, c_g) − x)‖₁ can be lowered by
   * closing the mask wherever the AMN does not copy x exactly — the thin, high-contrast pixels an edit
   * must change — and a soft mask caps how far any edit can go (eval: region under-masked). At 0 the
   * identity term teaches only the AMN to copy.
   */
  idtMask?: number;
}
/** The paper's weights: λ_gp = 10, attribute 1, dual reconstruction 20, identity 100. */
export const PAPER_WEIGHTS: LossWeights = { gp: 10, cls: 1, rec: 20, idt: 100 };
/** The weights a config may omit, and what their absence means: the paper's losses (no edit term, full mask share). */
export const OPTIONAL_WEIGHTS = { clsFake: 0, idtMask: 1 } as const;
/** A weight's value in `w`: its own, or for an omitted optional one the paper's (OPTIONAL_WEIGHTS). */
export const weightOf = (w: LossWeights, k: keyof LossWeights): number => w[k] ?? OPTIONAL_WEIGHTS[k as keyof typeof OPTIONAL_WEIGHTS];

/**
 * mean over the batch of BCE(σ(z), y) in the stable form max(z, 0) − z·y + log(1 + e^(−|z|)),
 * as torch.nn.functional.binary_cross_entropy_with_logits.
 */
export function bceWithLogits(z: Tensor, y: Tensor): Tensor {
  return mean(bceElementwise(z, reshape(y, z.shape))); // reshape: a view (targets may come as [N] for logits [N, 1])
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

/** w·t, skipping the product (a dispatch each way) for the weights that are 1: t·1 is t exactly. */
const weighted = (t: Tensor, w: number) => (w === 1 ? t : mul(t, w));

/** A constant of `shape` ([2n, …]): r on the first n rows (the reals'), f on the rest (the edits'). */
function halves(shape: readonly number[], r: number, f: number): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tensor(Array.from({ length: size }, (_, i) => (i < size / 2 ? r : f)), shape);
}

/**
 * Critic loss: mean src(fake) − mean src(real) + λ_gp·GP + λ_cls·BCE(cls(real), c_g) [+ λ_clsFake·BCE(cls(fake), c_g)].
 * D sees the reals and the edits in one forward of both batches (the critic is per image: no batch
 * statistics, so the same arithmetic in half the dispatches), and the terms are per-row weighted sums of
 * that batch's outputs rather than means of its two halves (slicing them apart is a copy each way):
 *   adv = Σ src·a,  a = +1/m on the edits' rows, −1/m on the reals' (m values of src each);
 *   cls terms = Σ BCE(cls, c_g)·k,  k = λ_cls/n on the reals' rows, λ_clsFake/n on the edits'.
 */
export function discriminatorLoss(G: Generator, D: Discriminator, real: Tensor, cG: Tensor, eps: Tensor, w: LossWeights = PAPER_WEIGHTS, aug: CriticView = (x) => x): DLoss {
  const n = real.shape[0];
  const fake = noGrad(() => G.forward(real, sub(1, cG)).image);
  const out = D.forward(aug(concat([real, fake])));
  const m = out.src.size / 2;
  const adv = sum(mul(out.src, halves(out.src.shape, -1 / m, 1 / m)));
  const gp = gradientPenalty(D, real, fake, eps, aug);
  const bce = bceElementwise(out.cls, reshape(concat([cG, cG]), out.cls.shape));
  const clsTerms = sum(mul(bce, halves(out.cls.shape, w.cls / n, weightOf(w, 'clsFake') / n)));
  const loss = add(add(adv, weighted(gp, w.gp)), clsTerms);
  // For the log: the mean BCE of the reals' rows and of the edits' (one reduce).
  const [cls, clsFake] = noGrad(() => {
    const both = mean(reshape(bce, [2, n]), 1);
    return [reshape(slice(both, [0], [1]), []), w.clsFake ? reshape(slice(both, [1], [2]), []) : null];
  });
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

/**
 * ‖G(x, c_g) − x‖₁ from the second half of a batched G output, = mean |b·(AMN(x, c_g) − x)|, with the
 * mask's share of its gradient scaled by `maskGrad` (b·s + stop(b)·(1 − s): the same value).
 */
function identityTerm(both: GeneratorOutput, real: Tensor, n: number, maskGrad: number): Tensor {
  const image = slice(both.image, [n], [2 * n]);
  if (maskGrad === 1 || !both.mask) return l1(image, real);
  const b = slice(both.mask, [n], [2 * n]);
  const bScaled = maskGrad === 0 ? b.detach() : add(mul(b, maskGrad), mul(b.detach(), 1 - maskGrad));
  return mean(abs(mul(bScaled, sub(slice(both.edit, [n], [2 * n]), real))));
}

/** Generator loss: −mean src(G(x,t)) + BCE(cls(G(x,t)), t) + λ_rec‖G(G(x,t),c_g) − x‖₁ + λ_idt‖G(x,c_g) − x‖₁. */
export function generatorLoss(G: Generator, D: Discriminator, real: Tensor, cG: Tensor, w: LossWeights = PAPER_WEIGHTS, aug: CriticView = (x) => x): GLoss {
  const t = sub(1, cG);
  const n = real.shape[0];
  // G(x, t) and G(x, c_g) in one forward of the batch twice over (G is per image: instance norm, no
  // batch statistics): the same arithmetic in half the dispatches.
  const both = G.forward(concat([real, real]), concat([t, cG]));
  const fake = slice(both.image, [0], [n]);
  const mask = both.mask && slice(both.mask, [0], [n]);
  const d = D.forward(aug(fake));
  const adv = mul(mean(d.src), -1);
  const cls = bceWithLogits(d.cls, t);
  const rec = l1(G.forward(fake, cG).image, real);
  const idt = identityTerm(both, real, n, weightOf(w, 'idtMask'));
  const loss = add(add(add(adv, weighted(cls, w.cls)), weighted(rec, w.rec)), weighted(idt, w.idt));
  return { loss, adv, cls, rec, idt, maskMean: mask ? noGrad(() => mean(mask)) : null, fake, mask };
}
