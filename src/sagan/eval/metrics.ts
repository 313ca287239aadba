/**
 * @file Evaluation metrics for attribute edits, as pure CPU functions on Float32Arrays (NCHW batches,
 * images in [−1, 1], masks and regions in [0, 1]). Nothing here touches the GPU, so each function is
 * tested on hand-made inputs with known answers (test/eval/metrics.test.ts).
 *
 * Conventions: a "region" (ground truth) or "mask" (SaGAN's attention) is binarised at 0.5; a metric
 * over an empty set of pixels is NaN (and reported as null / "n/a"), never 0.
 */

/** Pixel value range of images: [−1, 1], so the peak-to-peak signal of PSNR is 2. */
export const IMAGE_PEAK = 2;

/** Values ≥ this count as inside a binarised mask or region. */
export const MASK_THRESHOLD = 0.5;

/**
 * Share of binary decisions that equal the labels: (1/n) Σ [ (z_i > 0) = (y_i ≥ 0.5) ], where z_i is a logit
 * (σ(z) > 0.5 ⇔ z > 0) and y_i ∈ {0, 1}. Used for the classifier's accuracy and, with y = the edit target,
 * for edit success. NaN for n = 0.
 */
export function binaryAccuracy(logits: ArrayLike<number>, labels: ArrayLike<number>): number {
  if (logits.length !== labels.length) throw new Error(`binaryAccuracy: ${logits.length} logits for ${labels.length} labels`);
  let hit = 0;
  for (let i = 0; i < logits.length; i++) if ((logits[i] > 0) === (labels[i] >= 0.5)) hit++;
  return logits.length ? hit / logits.length : NaN;
}

/**
 * Signed decision margin of each logit towards its target: m_i = (2y_i − 1)·z_i. Positive: the
 * classifier assigns the target value, with |m| its confidence in logit units.
 */
export function targetMargins(logits: ArrayLike<number>, targets: ArrayLike<number>): Float32Array {
  if (logits.length !== targets.length) throw new Error(`targetMargins: ${logits.length} logits for ${targets.length} targets`);
  return Float32Array.from(logits, (z, i) => (targets[i] >= 0.5 ? z : -z));
}

/**
 * Intersection over union of two binarised masks for each of n images of hw pixels:
 * IoU = |A ∩ B| / |A ∪ B| with A = {a ≥ thr}, B = {b ≥ thr}; 1 when both are empty (they agree exactly).
 */
export function maskIoU(a: ArrayLike<number>, b: ArrayLike<number>, n: number, hw: number, threshold = MASK_THRESHOLD): Float32Array {
  if (a.length !== n * hw || b.length !== n * hw) throw new Error(`maskIoU: expected ${n}×${hw} values, got ${a.length} and ${b.length}`);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let inter = 0, union = 0;
    for (let p = i * hw; p < (i + 1) * hw; p++) {
      const x = a[p] >= threshold, y = b[p] >= threshold;
      if (x && y) inter++;
      if (x || y) union++;
    }
    out[i] = union ? inter / union : 1;
  }
  return out;
}

/** Mean value of each of n images of `per` values: (1/per) Σ v (the mask-saturation check: near 0 or 1 is the failure). */
export function meanPerImage(v: ArrayLike<number>, n: number, per: number): Float32Array {
  if (v.length !== n * per) throw new Error(`meanPerImage: expected ${n}×${per} values, got ${v.length}`);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let p = i * per; p < (i + 1) * per; p++) s += v[p];
    out[i] = s / per;
  }
  return out;
}

/** Per-image error statistics of b against a over a set of pixels. */
export interface ChangeStats {
  /** Mean absolute difference (1/(C·|P|)) Σ_{p∈P} Σ_c |a − b|. */
  mae: Float32Array;
  /** Mean squared difference (1/(C·|P|)) Σ_{p∈P} Σ_c (a − b)². */
  mse: Float32Array;
  /** |P|: pixels in the set. */
  pixels: Int32Array;
}

/**
 * Change between images a and b (n × c × hw) inside and outside a region (n × 1 × hw, binarised at 0.5),
 * and over the whole image. Without a region (null) inside/outside are empty (NaN) and `all` is set.
 */
export function regionChange(a: ArrayLike<number>, b: ArrayLike<number>, region: ArrayLike<number> | null, n: number, c: number, hw: number): { inside: ChangeStats; outside: ChangeStats; all: ChangeStats } {
  if (a.length !== n * c * hw || b.length !== n * c * hw) throw new Error(`regionChange: expected ${n}×${c}×${hw} values, got ${a.length} and ${b.length}`);
  if (region && region.length !== n * hw) throw new Error(`regionChange: expected a ${n}×1×${hw} region, got ${region.length} values`);
  const mk = (): ChangeStats => ({ mae: new Float32Array(n), mse: new Float32Array(n), pixels: new Int32Array(n) });
  const inside = mk(), outside = mk(), all = mk();
  for (let i = 0; i < n; i++) {
    // Sums in float64: the per-image totals are small, but many pixels of tiny differences add up.
    const abs = [0, 0], sq = [0, 0], cnt = [0, 0];
    for (let p = 0; p < hw; p++) {
      const k = region && region[i * hw + p] >= MASK_THRESHOLD ? 0 : 1;
      cnt[k]++;
      for (let ch = 0; ch < c; ch++) {
        const j = (i * c + ch) * hw + p;
        const d = a[j] - b[j];
        abs[k] += Math.abs(d);
        sq[k] += d * d;
      }
    }
    const put = (s: ChangeStats, ab: number, sqr: number, px: number) => {
      s.pixels[i] = px;
      s.mae[i] = px ? ab / (px * c) : NaN;
      s.mse[i] = px ? sqr / (px * c) : NaN;
    };
    put(all, abs[0] + abs[1], sq[0] + sq[1], hw);
    if (region) {
      put(inside, abs[0], sq[0], cnt[0]);
      put(outside, abs[1], sq[1], cnt[1]);
    } else {
      put(inside, 0, 0, 0);
      put(outside, 0, 0, 0);
    }
  }
  return { inside, outside, all };
}

/**
 * Peak signal-to-noise ratio in dB: PSNR = 10·log₁₀(R² / MSE), R the peak-to-peak range (2 for [−1, 1]).
 * +∞ for identical images (MSE 0); NaN for an empty set (MSE NaN).
 */
export function psnr(mse: number, peak = IMAGE_PEAK): number {
  return 10 * Math.log10((peak * peak) / mse);
}

/** Mean absolute difference per image, (1/(c·hw)) Σ |a − b| — the L1 of the identity and back-translation errors. */
export function l1PerImage(a: ArrayLike<number>, b: ArrayLike<number>, n: number, per: number): Float32Array {
  if (a.length !== n * per || b.length !== n * per) throw new Error(`l1PerImage: expected ${n}×${per} values, got ${a.length} and ${b.length}`);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let p = i * per; p < (i + 1) * per; p++) s += Math.abs(a[p] - b[p]);
    out[i] = s / per;
  }
  return out;
}

/**
 * Mean of the finite values, (1/|F|) Σ_{v∈F} v with F = {v finite}; NaN when F is empty. Infinite PSNRs
 * (unchanged images) are therefore left out of averages — average MSE first and take the PSNR of that
 * (psnrOfMean) for a figure that counts them.
 */
export function finiteMean(v: ArrayLike<number>): number {
  let s = 0, k = 0;
  for (let i = 0; i < v.length; i++) {
    if (Number.isFinite(v[i])) {
      s += v[i];
      k++;
    }
  }
  return k ? s / k : NaN;
}

/** PSNR of the mean MSE over images: 10·log₁₀(R² / mean(MSE)) — the set's PSNR, finite unless nothing changed. */
export function psnrOfMean(mse: ArrayLike<number>, peak = IMAGE_PEAK): number {
  return psnr(finiteMean(mse), peak);
}

/** Per-pixel mean absolute difference over channels, (1/c) Σ_c |a − b| / R, as an n × 1 × hw map in [0, 1] (for grids). */
export function diffMap(a: ArrayLike<number>, b: ArrayLike<number>, n: number, c: number, hw: number, peak = IMAGE_PEAK): Float32Array {
  const out = new Float32Array(n * hw);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < hw; p++) {
      let s = 0;
      for (let ch = 0; ch < c; ch++) s += Math.abs(a[(i * c + ch) * hw + p] - b[(i * c + ch) * hw + p]);
      out[i * hw + p] = s / (c * peak);
    }
  }
  return out;
}

/** Per-image scores of an edit G against the renderer's counterfactual x* (the same face, attribute flipped). */
export interface CounterfactualScores {
  /** 1 − Σ_R (G − x*)² / Σ_R (x − x*)²: 1 the exact counterfactual, 0 no edit, < 0 worse than no edit. */
  closeness: Float32Array;
  /** Σ_R (G − x)² / Σ_R (x* − x)²: the edit's change as a share of a real edit's (≈ 1 for a real edit, any style). */
  magnitude: Float32Array;
  /** Σ_R (G − x)² / Σ (G − x)²: the share of the change inside the region (NaN when nothing changed). */
  localisation: Float32Array;
  /** Mean squared error of G against x* inside R, (1/(C·|R|)) Σ_R (G − x*)² (its PSNR is the counterfactual PSNR). */
  mseToTruth: Float32Array;
}

/**
 * Scores edits against the truth the renderer knows: x (n × c × hw) the input, g the edit, xs the
 * counterfactual x*, region R (n × 1 × hw, binarised at 0.5) the pixels where x and x* differ. All sums in
 * float64. A region with Σ_R (x − x*)² = 0 (nothing to edit) gives NaN closeness and magnitude.
 */
export function counterfactualScores(x: ArrayLike<number>, g: ArrayLike<number>, xs: ArrayLike<number>, region: ArrayLike<number>, n: number, c: number, hw: number): CounterfactualScores {
  if (x.length !== n * c * hw || g.length !== n * c * hw || xs.length !== n * c * hw) {
    throw new Error(`counterfactualScores: expected ${n}×${c}×${hw} values, got ${x.length}, ${g.length} and ${xs.length}`);
  }
  if (region.length !== n * hw) throw new Error(`counterfactualScores: expected a ${n}×1×${hw} region, got ${region.length} values`);
  const out: CounterfactualScores = {
    closeness: new Float32Array(n), magnitude: new Float32Array(n), localisation: new Float32Array(n), mseToTruth: new Float32Array(n),
  };
  for (let i = 0; i < n; i++) {
    let truthIn = 0, errIn = 0, changeIn = 0, changeAll = 0, px = 0;
    for (let p = 0; p < hw; p++) {
      const inside = region[i * hw + p] >= MASK_THRESHOLD;
      if (inside) px++;
      for (let ch = 0; ch < c; ch++) {
        const j = (i * c + ch) * hw + p;
        const dg = g[j] - x[j];
        changeAll += dg * dg;
        if (!inside) continue;
        const dt = xs[j] - x[j], de = g[j] - xs[j];
        truthIn += dt * dt;
        errIn += de * de;
        changeIn += dg * dg;
      }
    }
    out.closeness[i] = truthIn > 0 ? 1 - errIn / truthIn : NaN;
    out.magnitude[i] = truthIn > 0 ? changeIn / truthIn : NaN;
    out.localisation[i] = changeAll > 0 ? changeIn / changeAll : NaN;
    out.mseToTruth[i] = px ? errIn / (px * c) : NaN;
  }
  return out;
}

/**
 * Whether the attention mask b lets an edit reach x* at all, per image: G = x + b·(AMN − x) with AMN's
 * output inside tanh's (−1, 1), so a pixel can move towards x* by at most b·|±1 − x|, and reaching x*
 * needs b ≥ need = max over channels of |x* − x| / |±1 − x| (toward the sign of x* − x). Over the region
 * R's pixels that change (|x* − x| > 0.05 in some channel): `inRegion` the mean mask, `short` the share
 * where b < need — pixels that no AMN output can edit all the way, however good.
 */
export function maskReach(b: ArrayLike<number>, x: ArrayLike<number>, xs: ArrayLike<number>, region: ArrayLike<number>, n: number, c: number, hw: number): { inRegion: Float32Array; short: Float32Array } {
  if (b.length !== n * hw || region.length !== n * hw || x.length !== n * c * hw || xs.length !== n * c * hw) {
    throw new Error(`maskReach: expected ${n}×1×${hw} mask and region and ${n}×${c}×${hw} images, got ${b.length}, ${region.length}, ${x.length}, ${xs.length}`);
  }
  const inRegion = new Float32Array(n), short = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let px = 0, sum = 0, under = 0;
    for (let p = 0; p < hw; p++) {
      if (region[i * hw + p] < MASK_THRESHOLD) continue;
      let need = 0, changes = false;
      for (let ch = 0; ch < c; ch++) {
        const j = (i * c + ch) * hw + p;
        const d = xs[j] - x[j];
        if (Math.abs(d) <= REACH_MIN_CHANGE) continue;
        changes = true;
        need = Math.max(need, Math.min(1, Math.abs(d) / Math.max(1e-6, Math.abs((d > 0 ? 1 : -1) - x[j]))));
      }
      if (!changes) continue;
      px++;
      sum += b[i * hw + p];
      if (b[i * hw + p] < need) under++;
    }
    inRegion[i] = px ? sum / px : NaN;
    short[i] = px ? under / px : NaN;
  }
  return { inRegion, short };
}
/** A region pixel counts in maskReach when x* differs from x by more than this in some channel. */
export const REACH_MIN_CHANGE = 0.05;

/** Soft IoU of mask m and region r (both in [0, 1]) per image: Σ min(m, r) / Σ max(m, r); 1 when both are all zero. */
export function softIoU(m: ArrayLike<number>, r: ArrayLike<number>, n: number, hw: number): Float32Array {
  if (m.length !== n * hw || r.length !== n * hw) throw new Error(`softIoU: expected ${n}×${hw} values, got ${m.length} and ${r.length}`);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let lo = 0, hi = 0;
    for (let p = i * hw; p < (i + 1) * hw; p++) {
      lo += Math.min(m[p], r[p]);
      hi += Math.max(m[p], r[p]);
    }
    out[i] = hi > 0 ? lo / hi : 1;
  }
  return out;
}

/** Median of the finite values (NaN when there are none). */
export function finiteMedian(v: ArrayLike<number>): number {
  const f = Array.from(v).filter(Number.isFinite).sort((a, b) => a - b);
  if (!f.length) return NaN;
  const m = f.length >> 1;
  return f.length % 2 ? f[m] : (f[m - 1] + f[m]) / 2;
}
