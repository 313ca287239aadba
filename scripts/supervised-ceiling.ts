/**
 * @file What the generator can do when told the answer — a diagnostic, never a recipe (it trains on the
 * renderer's counterfactuals x*, which SaGAN's unpaired training never sees). Trains G (SAN + AMN, the
 * architecture `sagan train` builds) supervised on the training faces 0…3999 of data seed 2018:
 *   loss = 100·mean (G(x, t) − x*)² + 3000·mean R·(G(x, t) − x*)² + 100·mean (G(x, c) − x)²
 * (t the flipped label, c the face's own, R the true region: the edit inside R weighs most, as the eval
 * scores it), then scores the held-out faces 4000…4199 with `sagan eval`'s counterfactual closeness.
 * If this reaches a bar that adversarial training does not, G's capacity is not what holds the edit back:
 * the training signal is (docs/training-recipes.md, 2026-12-05 third session).
 *   deno run -A scripts/supervised-ceiling.ts ATTR STEPS [--down N] [--residual] [--width W] [--res K]
 */
import process from 'node:process';
import { init, tensor, tidy, keep, readAll, noGrad, grad, mean, mul, sub, add, Adam } from '../src/engine/index.ts';
import { Generator } from '../src/sagan/model.ts';
import { syntheticSet } from '../src/sagan/eval/data.ts';
import { counterfactualScores, MASK_THRESHOLD } from '../src/sagan/eval/metrics.ts';
import type { Batch } from '../src/sagan/batches.ts';

const args = process.argv.slice(2);
const flag = (name: string, def: number) => (args.includes(name) ? +args[args.indexOf(name) + 1] : def);
const [attribute, stepsArg] = args;
if (!attribute || !(+stepsArg > 0)) throw new Error('usage: supervised-ceiling.ts ATTR STEPS [--down N] [--residual] [--width W] [--res K]');
const steps = +stepsArg, S = 32, P = S * S, B = 8, SEED = 2018, TRAIN = 4000, TEST = 200;

await init();
const G = new Generator({ size: S, width: flag('--width', 16), nRes: flag('--res', 2), attention: true, down: flag('--down', 1), residual: args.includes('--residual') });
const opt = new Adam(G.parameters(), { lr: 1e-3, betas: [0.5, 0.999] });
const train = await syntheticSet({ attribute, size: S, dataSeed: SEED, offset: 0, count: TRAIN }).load(0, TRAIN);
const test = await syntheticSet({ attribute, size: S, dataSeed: SEED, offset: TRAIN, count: TEST }).load(0, TEST);

/** Faces idx of a loaded set: images, counterfactuals, flipped and own labels, binarised regions. */
function pick(b: Batch, idx: number[]) {
  const n = idx.length, x = new Float32Array(n * 3 * P), xs = new Float32Array(n * 3 * P), r = new Float32Array(n * P);
  const t = new Float32Array(n), own = new Float32Array(n);
  idx.forEach((i, k) => {
    x.set(b.images.subarray(i * 3 * P, (i + 1) * 3 * P), k * 3 * P);
    xs.set(b.counterfactuals!.subarray(i * 3 * P, (i + 1) * 3 * P), k * 3 * P);
    r.set(b.masks!.subarray(i * P, (i + 1) * P).map((v) => (v >= MASK_THRESHOLD ? 1 : 0)), k * P);
    own[k] = b.labels[i];
    t[k] = 1 - b.labels[i];
  });
  return { x, xs, r, t, own };
}

let state = 1; // a small LCG for the batch order: the diagnostic needs reproducibility, not quality
const draw = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
const t0 = Date.now();
for (let s = 1; s <= steps; s++) {
  const p = pick(train, Array.from({ length: B }, () => Math.floor(draw() * TRAIN)));
  const loss = tidy(() => {
    const x = tensor(p.x, [B, 3, S, S]);
    const e = sub(G.call(x, tensor(p.t, [B])).image, tensor(p.xs, [B, 3, S, S]));
    const i = sub(G.call(x, tensor(p.own, [B])).image, x);
    const e2 = mul(e, e);
    const l = add(add(mul(mean(e2), 100), mul(mean(mul(tensor(p.r, [B, 1, S, S]), e2)), 3000)), mul(mean(mul(i, i)), 100));
    opt.step(grad(l, G.parameters()));
    return keep(l);
  });
  if (s % 250 === 0 || s === steps) {
    const [v] = await readAll([loss]);
    console.log(`step ${s}/${steps} loss ${v[0].toFixed(4)} (${((Date.now() - t0) / s).toFixed(0)} ms/step)`);
  }
  loss.dispose();
}

const p = pick(test, Array.from({ length: TEST }, (_, i) => i));
const [y] = await readAll(noGrad(() => [G.call(tensor(p.x, [TEST, 3, S, S]), tensor(p.t, [TEST])).image]));
const { closeness } = counterfactualScores(p.x, y, p.xs, p.r, TEST, 3, P);
for (const [dir, target] of [['remove', 0], ['add', 1]] as const) {
  const v = [...closeness].filter((_, i) => p.t[i] === target && Number.isFinite(closeness[i]));
  console.log(`${attribute} ${dir}: closeness ${(v.reduce((a, z) => a + z, 0) / v.length).toFixed(3)} (mean of ${v.length}), ` +
    `share > 0.5: ${(v.filter((z) => z > 0.5).length / v.length).toFixed(2)}`);
}
