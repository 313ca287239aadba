/**
 * @file Evaluation of a trained generator on a held-out set. Every image is edited in the direction that
 * flips its label (label 0 → add the attribute, target 1; label 1 → remove it, target 0), and scored:
 *  - edit success: the judge classifier assigns the target value to G(x, t) (margin (2t − 1)·z > 0);
 *    beside it the judge on the true counterfactual x* — the success an exact edit would score, the judge's ceiling;
 *  - attention: IoU of SaGAN's mask ≥ 0.5 with the ground-truth region, and the mask's mean (saturation);
 *  - preservation: mean |Δ| and PSNR between x and G(x, t) outside and inside the ground-truth region
 *    (and over the whole image);
 *  - reconstruction: identity ‖G(x, c_g) − x‖₁ and back-translation ‖G(G(x, t), c_g) − x‖₁ (per-pixel means);
 *  - truth (synthetic faces, whose renderer knows the counterfactual x* — the same face with the attribute
 *    flipped — and the region R where x and x* differ): closeness 1 − Σ_R (G − x*)² / Σ_R (x − x*)²,
 *    magnitude Σ_R (G − x)² / Σ_R (x* − x)², localisation Σ_R (G − x)² / Σ (G − x)², PSNR against x* in R,
 *    the soft IoU Σ min(b, R) / Σ max(b, R) of the mask, and whether the mask lets the edit reach x* at
 *    all (its mean over R, and the share of R it holds below what any AMN output would need). These cannot be fooled by a judge's blind
 *    spot: a tint that a classifier takes for glasses is a tiny magnitude and a closeness near 0.
 *    Removal has one right answer (the face under the glasses), so its closeness is the sharp test;
 *    an added attribute's style is a guess, so for additions magnitude and localisation are the measure.
 * The no-attention ablation (mask null) runs unchanged: its mask metrics are null, its mask is all ones.
 * GPU work per batch is one tidy scope and one readback; all scoring is CPU code from metrics.ts.
 */
import { Tensor, tensor, tidy, noGrad, readAll, sub, full } from '../../engine/index.ts';
import type { Generator } from '../model.ts';
import type { AttributeClassifier } from './classifier.ts';
import { inBatches, type EvalSet, type NamedBatch } from './data.ts';
import {
  maskIoU, meanPerImage, regionChange, l1PerImage, targetMargins, finiteMean, psnrOfMean, counterfactualScores, softIoU, finiteMedian, maskReach,
} from './metrics.ts';

export type Direction = 'add' | 'remove';

/** Scores of one edited image (null: not measurable for this model or data). */
export interface ImageRecord {
  index: number;
  name: string;
  direction: Direction;
  target: number;
  /** Judge logit of the edited image, and of the input. */
  logit: number;
  inputLogit: number;
  /** Judge logit of the counterfactual x* (null without one). */
  truthLogit: number | null;
  /** (2t − 1)·logit: > 0 is a successful edit. */
  margin: number;
  success: boolean;
  maskIoU: number | null;
  maskMean: number | null;
  outsideMae: number | null;
  outsideMse: number | null;
  insideMae: number | null;
  insideMse: number | null;
  allMae: number;
  allMse: number;
  identityL1: number;
  backL1: number;
  /** Scores against the counterfactual x* (null without one): see the file header. */
  closeness: number | null;
  magnitude: number | null;
  localisation: number | null;
  /** MSE of G against x* inside the region. */
  truthMse: number | null;
  maskSoftIoU: number | null;
  /** Mean mask over the region's changing pixels, and the share of them where the mask is too weak for any AMN output to reach x* (metrics.ts maskReach). */
  maskInRegion: number | null;
  maskShort: number | null;
  /** Mean |AMN(x, c) − x| inside the region, c the face's own label: how well the AMN copies what an edit keeps (null without regions). */
  amnCopy: number | null;
}

/** Means over a set of images (null where no image has the metric). */
export interface Summary {
  n: number;
  /** Share of edits the judge assigns the target value. */
  success: number | null;
  marginMean: number | null;
  /** Judge accuracy on the unedited inputs (their true labels): how far to trust `success`. */
  judgeOnInputs: number | null;
  /** Share of the true counterfactuals x* the judge assigns the target value: the success an exact edit would score (null without x*). */
  judgeOnTruth: number | null;
  maskIoU: number | null;
  maskMean: number | null;
  outsideMae: number | null;
  /** PSNR (dB) of the mean MSE. */
  outsidePsnr: number | null;
  insideMae: number | null;
  insidePsnr: number | null;
  allMae: number | null;
  allPsnr: number | null;
  identityL1: number | null;
  backL1: number | null;
  /** Mean closeness to x*, and the share of images above 0.5. */
  closeness: number | null;
  closenessAbove: number | null;
  /** Median magnitude (a few huge ratios must not carry the mean). */
  magnitude: number | null;
  localisation: number | null;
  /** PSNR (dB) against x* inside the region, of the mean MSE. */
  truthPsnr: number | null;
  maskSoftIoU: number | null;
  maskInRegion: number | null;
  maskShort: number | null;
  amnCopy: number | null;
}

/** Share of images whose closeness exceeds this in `closenessAbove`. */
export const CLOSENESS_BAR = 0.5;

/** G's outputs for one batch, on the CPU. */
export interface BatchOutputs {
  edited: Float32Array;
  /** null without attention. */
  mask: Float32Array | null;
  back: Float32Array;
  identity: Float32Array;
  /** AMN(x, c) for the face's own label c: the identity pass before the mask. */
  amnIdentity: Float32Array;
  logits: Float32Array;
  inputLogits: Float32Array;
  /** The judge on the counterfactuals x* (null without them). */
  truthLogits: Float32Array | null;
}

/** Runs G (edit, back-translation, identity) and the judge on a batch; one readback. */
export async function runBatch(G: Generator, C: AttributeClassifier, b: NamedBatch): Promise<BatchOutputs> {
  const S = G.config.size;
  const at = { mask: -1, truth: -1 }; // positions of the optional outputs in the readback
  const outs = noGrad(() => tidy(() => {
    const x = tensor(b.images, [b.n, 3, S, S]);
    const cg = tensor(b.labels, [b.n]);
    const t = sub(1, cg);
    const e = G.call(x, t);
    const back = G.call(e.image, cg).image;
    const idt = G.call(x, cg);
    const list: Tensor[] = [e.image, back, idt.image, idt.edit, C.call(e.image), C.call(x)];
    if (e.mask) at.mask = list.push(e.mask) - 1;
    if (b.counterfactuals) at.truth = list.push(C.call(tensor(b.counterfactuals, [b.n, 3, S, S]))) - 1;
    return list;
  }));
  const got = await readAll(outs);
  outs.forEach((o) => o.dispose());
  const [edited, back, identity, amnIdentity, logits, inputLogits] = got;
  const pick = (k: number) => (k >= 0 ? got[k] : null);
  return { edited, back, identity, amnIdentity, logits, inputLogits, mask: pick(at.mask), truthLogits: pick(at.truth) };
}

/** Scores one batch from its outputs (pure CPU). `first` is the index of the batch's first image in the set. */
export function scoreBatch(b: NamedBatch, o: BatchOutputs, size: number, first: number): ImageRecord[] {
  const n = b.n, hw = size * size;
  const targets = Float32Array.from(b.labels, (l) => 1 - l);
  const margins = targetMargins(o.logits, targets);
  const iou = o.mask && b.masks ? maskIoU(o.mask, b.masks, n, hw) : null;
  const mMean = o.mask ? meanPerImage(o.mask, n, hw) : null;
  const ch = regionChange(b.images, o.edited, b.masks ?? null, n, 3, hw);
  const idt = l1PerImage(o.identity, b.images, n, 3 * hw);
  const back = l1PerImage(o.back, b.images, n, 3 * hw);
  const cf = b.counterfactuals && b.masks ? counterfactualScores(b.images, o.edited, b.counterfactuals, b.masks, n, 3, hw) : null;
  const soft = o.mask && b.masks ? softIoU(o.mask, b.masks, n, hw) : null;
  const reach = o.mask && b.masks && b.counterfactuals ? maskReach(o.mask, b.images, b.counterfactuals, b.masks, n, 3, hw) : null;
  const copy = b.masks ? regionChange(b.images, o.amnIdentity, b.masks, n, 3, hw).inside.mae : null;
  const orNull = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? null : v);
  return Array.from({ length: n }, (_, i): ImageRecord => ({
    index: first + i,
    name: b.names[i],
    direction: targets[i] >= 0.5 ? 'add' : 'remove',
    target: targets[i],
    logit: o.logits[i],
    inputLogit: o.inputLogits[i],
    truthLogit: o.truthLogits ? o.truthLogits[i] : null,
    margin: margins[i],
    success: margins[i] > 0,
    maskIoU: orNull(iou?.[i]),
    maskMean: orNull(mMean?.[i]),
    outsideMae: orNull(ch.outside.mae[i]),
    outsideMse: orNull(ch.outside.mse[i]),
    insideMae: orNull(ch.inside.mae[i]),
    insideMse: orNull(ch.inside.mse[i]),
    allMae: ch.all.mae[i],
    allMse: ch.all.mse[i],
    identityL1: idt[i],
    backL1: back[i],
    closeness: orNull(cf?.closeness[i]),
    magnitude: orNull(cf?.magnitude[i]),
    localisation: orNull(cf?.localisation[i]),
    truthMse: orNull(cf?.mseToTruth[i]),
    maskSoftIoU: orNull(soft?.[i]),
    maskInRegion: orNull(reach?.inRegion[i]),
    maskShort: orNull(reach?.short[i]),
    amnCopy: orNull(copy?.[i]),
  }));
}

/** Means of the records' metrics; PSNRs are of the mean MSE (see psnrOfMean). */
export function summarize(records: readonly ImageRecord[]): Summary {
  const values = (f: (r: ImageRecord) => number | boolean | null) => records.map(f).filter((x): x is number | boolean => x !== null).map(Number);
  const col = (f: (r: ImageRecord) => number | boolean | null) => {
    const v = values(f);
    return v.length ? finiteMean(v) : null;
  };
  const median = (f: (r: ImageRecord) => number | null) => {
    const v = values(f);
    return v.length ? finiteMedian(v) : null;
  };
  const psnrCol = (f: (r: ImageRecord) => number | null) => {
    const v = records.map(f).filter((x): x is number => x !== null);
    return v.length ? psnrOfMean(v) : null;
  };
  return {
    n: records.length,
    success: col((r) => r.success),
    marginMean: col((r) => r.margin),
    judgeOnInputs: col((r) => (r.inputLogit > 0) === (r.target < 0.5)),
    judgeOnTruth: col((r) => (r.truthLogit === null ? null : (r.truthLogit > 0) === (r.target >= 0.5))),
    maskIoU: col((r) => r.maskIoU),
    maskMean: col((r) => r.maskMean),
    outsideMae: col((r) => r.outsideMae),
    outsidePsnr: psnrCol((r) => r.outsideMse),
    insideMae: col((r) => r.insideMae),
    insidePsnr: psnrCol((r) => r.insideMse),
    allMae: col((r) => r.allMae),
    allPsnr: psnrCol((r) => r.allMse),
    identityL1: col((r) => r.identityL1),
    backL1: col((r) => r.backL1),
    closeness: col((r) => r.closeness),
    closenessAbove: col((r) => (r.closeness === null ? null : r.closeness > CLOSENESS_BAR)),
    magnitude: median((r) => r.magnitude),
    localisation: col((r) => r.localisation),
    truthPsnr: psnrCol((r) => r.truthMse),
    maskSoftIoU: col((r) => r.maskSoftIoU),
    maskInRegion: col((r) => r.maskInRegion),
    maskShort: col((r) => r.maskShort),
    amnCopy: col((r) => r.amnCopy),
  };
}

export interface EvaluationResult {
  records: ImageRecord[];
  add: Summary;
  remove: Summary;
  all: Summary;
}

/** Evaluates G with judge C over the whole set, `batchSize` images at a time. */
export async function evaluateEdits(G: Generator, C: AttributeClassifier, set: EvalSet, batchSize: number,
  onProgress?: (done: number, total: number) => void): Promise<EvaluationResult> {
  if (set.size !== G.config.size) throw new Error(`eval: the images are ${set.size}² but the generator is ${G.config.size}²`);
  if (C.config.size !== G.config.size) throw new Error(`eval: the classifier judges ${C.config.size}² images but the generator makes ${G.config.size}². Fix: train the classifier with --size ${G.config.size}.`);
  const records: ImageRecord[] = [];
  for await (const b of inBatches(set, batchSize)) {
    records.push(...scoreBatch(b, await runBatch(G, C, b), set.size, records.length));
    onProgress?.(records.length, set.length);
  }
  return {
    records,
    add: summarize(records.filter((r) => r.direction === 'add')),
    remove: summarize(records.filter((r) => r.direction === 'remove')),
    all: summarize(records),
  };
}

export type RankBy = 'outside' | 'margin' | 'closeness';

/**
 * The k worst and k best images: by change outside the region (largest is worst), by success margin
 * (smallest is worst) or by closeness to the counterfactual (smallest is worst). Records without the metric are skipped. Returned worst first, then best (best last).
 */
export function worstAndBest(records: readonly ImageRecord[], by: RankBy, k: number): { worst: ImageRecord[]; best: ImageRecord[] } {
  const key = (r: ImageRecord) => (by === 'outside' ? (r.outsideMae === null ? null : -r.outsideMae) : by === 'closeness' ? r.closeness : r.margin);
  const ranked = records.filter((r) => key(r) !== null).sort((a, b) => key(a)! - key(b)!); // ascending: worst first
  const kk = Math.min(k, Math.floor(ranked.length / 2));
  return { worst: ranked.slice(0, kk), best: ranked.slice(ranked.length - kk) };
}

/** Images of the chosen records, re-run through G (small: 2k images), as grid columns. */
export async function gridData(G: Generator, set: EvalSet, chosen: readonly ImageRecord[]): Promise<{
  n: number; input: Float32Array; edited: Float32Array; mask: Float32Array; region: Float32Array | null; truth: Float32Array | null;
}> {
  const S = G.config.size, n = chosen.length, hw = S * S;
  const input = new Float32Array(n * 3 * hw);
  const region = set.hasMasks ? new Float32Array(n * hw) : null;
  let truth: Float32Array | null = null;
  const targets = new Float32Array(n);
  for (const [i, r] of chosen.entries()) {
    const b = await set.load(r.index, r.index + 1);
    input.set(b.images, i * 3 * hw);
    if (region && b.masks) region.set(b.masks, i * hw);
    if (b.counterfactuals) (truth ??= new Float32Array(n * 3 * hw)).set(b.counterfactuals, i * 3 * hw);
    targets[i] = r.target;
  }
  const outs = noGrad(() => tidy(() => {
    const e = G.call(tensor(input, [n, 3, S, S]), tensor(targets, [n]));
    return [e.image, e.mask ?? full([n, 1, S, S], 1)];
  }));
  const [edited, mask] = await readAll(outs);
  outs.forEach((o) => o.dispose());
  return { n, input, edited, mask, region, truth };
}
