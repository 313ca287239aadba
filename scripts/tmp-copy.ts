import { readFileSync } from 'node:fs';
import { init, tensor, noGrad, tidy, readAll } from '../src/engine/index.ts';
import { generatorFromCheckpoint } from '../src/sagan/edit.ts';
import { readCheckpoint } from '../src/sagan/checkpoint.ts';
import { syntheticSet } from '../src/sagan/eval/data.ts';
await init();
for (const p of process.argv.slice(2)) {
  const G = generatorFromCheckpoint(new Uint8Array(readFileSync(p)), p).G;
  const set = syntheticSet({ attribute: 'Eyeglasses', size: 32, dataSeed: 2018, offset: 4000, count: 64 });
  const b = await set.load(0, 64);
  const S = 32, hw = S * S, n = 64;
  const [amn] = await readAll(noGrad(() => tidy(() => [(G as any).call(tensor(b.images, [n, 3, S, S]), tensor(b.labels, [n])).edit])));
  let abs = 0, cnt = 0, shiftAbs = 0, resid = 0;
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) {
    let s = 0, k = 0; const idx: number[] = [];
    for (let q = 0; q < hw; q++) if (b.masks![i * hw + q] >= 0.5) { const j = (i * 3 + c) * hw + q; s += amn[j] - b.images[j]; k++; idx.push(j); }
    if (!k) continue; const m = s / k;
    for (const j of idx) { abs += Math.abs(amn[j] - b.images[j]); resid += Math.abs(amn[j] - b.images[j] - m); cnt++; }
    shiftAbs += Math.abs(m) * k;
  }
  console.log(p, 'mean|err| R', (abs / cnt).toFixed(3), 'mean|per-face-channel shift|', (shiftAbs / cnt).toFixed(3), 'mean|err − shift|', (resid / cnt).toFixed(3));
}
process.exit(0);
