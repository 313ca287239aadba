/**
 * @file Is a smile at 32² invisible, or is the 32² classifier's layout the limit? A diagnostic (docs/
 * training-recipes.md, 2026-12-05 fourth session): trains the classifier of size TO (`sagan train-classifier`'s
 * AttributeClassifier, width 16, batch 32, lr 1e-3, plain — no hard negatives) on the synthetic training faces
 * rendered at FROM² and upsampled ×(TO/FROM) by repeating pixels, and tests it on 500 held-out faces treated
 * alike. Against the plain classifiers trained at FROM² and TO² themselves, it splits their gap into what
 * the larger layout adds (one more stride-2 stage before the head) and what the finer rendering adds.
 *   deno run -A scripts/classifier-resolution.ts ATTR FROM TO STEPS     (e.g. Smiling 32 64 2000)
 */
import process from 'node:process';
import { init } from '../src/engine/index.ts';
import { syntheticSource, type BatchSource, type Batch } from '../src/sagan/batches.ts';
import { syntheticSet, inBatches } from '../src/sagan/eval/data.ts';
import { trainClassifier, testClassifier } from '../src/sagan/eval/classifier.ts';
import type { SaganAttribute } from '../src/sagan/data/attrs.ts';

const [attr, fromArg, toArg, stepsArg] = process.argv.slice(2);
const A = +fromArg, S = +toArg, steps = +stepsArg;
if (!attr || !(A >= 16) || !(S % A === 0 && S > A) || !(steps > 0)) throw new Error('usage: classifier-resolution.ts ATTR FROM TO STEPS (TO a multiple of FROM)');
const attribute = attr as SaganAttribute, f = S / A;

/** A batch of FROM² images as TO² images, each pixel repeated f × f. */
function upsampled(b: Batch): Batch {
  const out = new Float32Array(b.n * 3 * S * S);
  for (let p = 0; p < b.n * 3; p++) for (let y = 0; y < S; y++) for (let x = 0; x < S; x++)
    out[p * S * S + y * S + x] = b.images[p * A * A + Math.floor(y / f) * A + Math.floor(x / f)];
  return { images: out, labels: b.labels, n: b.n };
}

await init();
const src = syntheticSource({ attribute, size: A, dataSeed: 2018, length: 4000, batchSize: 32, orderSeed: 1 });
const train: BatchSource = { size: S, length: src.length, batch: async (k) => upsampled(await src.batch(k)) };
const C = await trainClassifier({ size: S, width: 16 }, train, { steps, lr: 1e-3, seed: 1, logEvery: 100 }, (s, loss) => {
  if (s % 200 === 0) console.error(`step ${s}/${steps}: BCE ${loss.toFixed(4)}`);
});
const test = syntheticSet({ attribute, size: A, dataSeed: 2018, offset: 4000, count: 500 });
async function* held() { for await (const b of inBatches(test, 32)) yield upsampled(b); }
const r = await testClassifier(C, held());
console.log(`${attribute}: ${A}² renders upsampled to ${S}², the ${S}² classifier (width 16), ${steps} steps: test accuracy ${(100 * r.accuracy).toFixed(1)}% on ${r.n} held-out faces`);
