/**
 * @file Where an edit's error comes from, on held-out synthetic faces (the measurements behind
 * docs/training-recipes.md, "2026-12-05 (second session)"). Run with Deno:
 *   deno run -A scripts/edit-anatomy.ts sizes                 how large each attribute's change is: per
 *       attribute at 32² and 64², the region's size, mean |x − x*| inside it, the share of its pixels > 0.1
 *   deno run -A scripts/edit-anatomy.ts removals CKPT EVAL.json
 *       for the removals of a generator (its average when the checkpoint keeps one), split the squared
 *       error against x* inside R as G − x* = m·(AMN − x*) + (1 − m)·(x − x*): the AMN's own share, the share
 *       of x seen through the mask, and the mask over the attribute's pixels (|x − x*| summed over RGB
 *       > 0.3) — for the removals EVAL.json's judge rejects and those it accepts; and whether the AMN
 *       uses c: mean |AMN(x, 1) − x|, |AMN(x, 0) − x|, |AMN(x, 1) − AMN(x, 0)| and |x − x*| inside R.
 * Faces: 200 from the held-out offset 4000 of data seed 2018 (`sagan eval`'s defaults).
 */
import process from 'node:process';
import { readFile } from 'node:fs/promises';
import { init, tensor, readAll, noGrad, full } from '../src/engine/index.ts';
import { Generator } from '../src/sagan/model.ts';
import { readCheckpoint } from '../src/sagan/checkpoint.ts';
import { syntheticSet } from '../src/sagan/eval/data.ts';
import { SAGAN_ATTRIBUTES } from '../src/sagan/data/attrs.ts';

const N = 200, OFFSET = 4000, SEED = 2018;
const load = (attribute: string, size: number) => syntheticSet({ attribute, size, dataSeed: SEED, offset: OFFSET, count: N }).load(0, N);

async function sizes(): Promise<void> {
  for (const size of [32, 64]) {
    for (const attr of SAGAN_ATTRIBUTES) {
      const b = await load(attr, size), P = size * size;
      let px = 0, diff = 0, big = 0;
      for (let i = 0; i < N; i++) {
        for (let p = 0; p < P; p++) {
          if (b.masks![i * P + p] < 0.5) continue;
          let d = 0;
          for (let c = 0; c < 3; c++) d += Math.abs(b.images[(i * 3 + c) * P + p] - b.counterfactuals![(i * 3 + c) * P + p]) / 3;
          px++, diff += d, big += d > 0.1 ? 1 : 0;
        }
      }
      console.log(`${size}² ${attr}: region ${(px / N).toFixed(0)} px, mean |x − x*| in R ${(diff / px).toFixed(3)}, share > 0.1 ${(big / px).toFixed(2)}`);
    }
  }
}

async function removals(ckptPath: string, evalPath: string): Promise<void> {
  const ck = readCheckpoint(new Uint8Array(await readFile(ckptPath)), ckptPath);
  const G = new Generator(ck.meta.config.model);
  G.loadStateDict(Object.keys(ck.parts.Gema).length ? ck.parts.Gema : ck.parts.G);
  const S = ck.meta.config.model.size, P = S * S;
  const judged = JSON.parse(await readFile(evalPath, 'utf8')).models[0].images as { name: string; success: boolean }[];
  const b = await load(ck.meta.config.attribute, S);
  const x = tensor(b.images, [N, 3, S, S]);
  const [e1, e0, m] = await readAll(noGrad(() => {
    const add = G.call(x, full([N], 1)), remove = G.call(x, full([N], 0));
    return [add.edit, remove.edit, remove.mask ?? full([N, 1, S, S], 1)];
  }));
  const at = (i: number, c: number, p: number) => (i * 3 + c) * P + p;
  // The error split over each face with the attribute (removal: target 0).
  const groups = new Map<boolean, { amn: number; leak: number; mask: number; n: number }>();
  for (let i = 0; i < N; i++) {
    if (b.labels[i] !== 1) continue;
    let amn = 0, leak = 0, tot = 0, mf = 0, nf = 0;
    for (let p = 0; p < P; p++) {
      if (b.masks![i * P + p] < 0.5) continue;
      const mm = m[i * P + p];
      let d = 0;
      for (let c = 0; c < 3; c++) {
        const q = at(i, c, p), xs = b.counterfactuals![q], dx = b.images[q] - xs;
        amn += (mm * (e0[q] - xs)) ** 2, leak += ((1 - mm) * dx) ** 2, tot += (mm * e0[q] + (1 - mm) * b.images[q] - xs) ** 2, d += Math.abs(dx);
      }
      if (d > 0.3) mf += mm, nf++;
    }
    const ok = judged.find((r) => r.name === b.names[i])?.success ?? false;
    const g = groups.get(ok) ?? { amn: 0, leak: 0, mask: 0, n: 0 };
    g.amn += amn / tot, g.leak += leak / tot, g.mask += mf / Math.max(nf, 1), g.n++;
    groups.set(ok, g);
  }
  for (const [ok, g] of groups) {
    console.log(`removals the judge ${ok ? 'accepts' : 'rejects'} (${g.n}): AMN's share of the error ${(g.amn / g.n).toFixed(3)}, ` +
      `x through the mask ${(g.leak / g.n).toFixed(3)}, mask over the attribute's pixels ${(g.mask / g.n).toFixed(3)}`);
  }
  for (const label of [1, 0]) {
    let a1 = 0, a0 = 0, d10 = 0, dx = 0, n = 0;
    for (let i = 0; i < N; i++) {
      if (b.labels[i] !== label) continue;
      for (let p = 0; p < P; p++) {
        if (b.masks![i * P + p] < 0.5) continue;
        for (let c = 0; c < 3; c++) {
          const q = at(i, c, p);
          a1 += Math.abs(e1[q] - b.images[q]), a0 += Math.abs(e0[q] - b.images[q]), d10 += Math.abs(e1[q] - e0[q]), dx += Math.abs(b.images[q] - b.counterfactuals![q]), n++;
        }
      }
    }
    const f = (v: number) => (v / n).toFixed(3);
    console.log(`faces with label ${label}, inside R: |AMN(x,1) − x| ${f(a1)}, |AMN(x,0) − x| ${f(a0)}, |AMN(x,1) − AMN(x,0)| ${f(d10)}, |x − x*| ${f(dx)}`);
  }
}

const [cmd, ...rest] = process.argv.slice(2);
if (cmd === 'sizes') await sizes();
else if (cmd === 'removals' && rest.length === 2) {
  await init();
  await removals(rest[0], rest[1]);
} else {
  console.error('usage: deno run -A scripts/edit-anatomy.ts sizes | removals CKPT EVAL.json  (see the file header)');
  process.exit(2);
}
