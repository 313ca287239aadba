import { init, tensor, readAll, noGrad } from './src/engine/index.ts';
import { Generator } from './src/sagan/model.ts';
import { readCheckpoint } from './src/sagan/checkpoint.ts';
import { syntheticSet } from './src/sagan/eval/data.ts';
await init();
const ck = readCheckpoint(await Deno.readFile(Deno.args[0]));
const G = new Generator(ck.meta.config.model);
G.loadStateDict(ck.parts.G);
const S = 32, set = syntheticSet({ attribute: 'Eyeglasses', size: S, dataSeed: 2018, offset: 4000, count: 200 });
const b = await set.load(0, 200);
const idx = [...Array(200).keys()].filter((i) => b.labels[i] === 1); // faces with glasses: removal
const n = idx.length, P = S * S;
const img = new Float32Array(n * 3 * P), R = new Float32Array(n * P), xs = new Float32Array(n * 3 * P);
idx.forEach((i, k) => { img.set(b.images.subarray(i * 3 * P, (i + 1) * 3 * P), k * 3 * P); R.set(b.masks!.subarray(i * P, (i + 1) * P), k * P); xs.set(b.counterfactuals!.subarray(i * 3 * P, (i + 1) * 3 * P), k * 3 * P); });
const x = tensor(img, [n, 3, S, S]);
const [aRem, aId, m] = await readAll(noGrad(() => [G.amn.call(x, tensor(new Float32Array(n).fill(0), [n])), G.amn.call(x, tensor(new Float32Array(n).fill(1), [n])), G.san!.call(x)]));
// Per region pixel: mask, the mask a perfect removal would need given AMN's output (|x*−x| / |a−x| per channel max), |aId − x|.
let inR = 0, mSum = 0, need = 0, idErrR = 0, idErrOut = 0, outN = 0, capped = 0, reach = 0;
for (let k = 0; k < n; k++) for (let p = 0; p < P; p++) {
  const r = R[k * P + p] > 0.5; const mm = m[k * P + p];
  let e = 0, req = 0, full = 0;
  for (let c = 0; c < 3; c++) {
    const j = (k * 3 + c) * P + p;
    e += Math.abs(aId[j] - img[j]) / 3;
    const d = xs[j] - img[j];
    // the largest change tanh allows towards x*: to ±1
    const maxStep = d > 0 ? 1 - img[j] : -1 - img[j];
    req = Math.max(req, Math.abs(d) > 0.05 ? Math.abs(d / maxStep) : 0);
  }
  if (r) { inR++; mSum += mm; need += req; idErrR += e; if (req > mm + 0.05) capped++; } else { outN++; idErrOut += e; }
}
console.log(`removal faces ${n}; region pixels ${inR} (${(inR / n / P * 100).toFixed(1)}% of the image)`);
console.log(`mean mask in R ${(mSum / inR).toFixed(3)}; mean mask that tanh's range needs in R ${(need / inR).toFixed(3)}; R pixels where the mask is too weak even for the best AMN output ${(capped / inR * 100).toFixed(1)}%`);
console.log(`AMN identity error |AMN(x,c)−x|: in R ${(idErrR / inR).toFixed(3)}, outside ${(idErrOut / outN).toFixed(3)}`);
