/**
 * @file Writes sample grids of the synthetic faces, with their attribute masks, to a folder:
 *   synth-64.png, synth-128.png — one face per row:
 *     neutral | +Eyeglasses | mask | +Mouth_Slightly_Open | mask | beard (No_Beard off) | mask | +Smiling | mask
 *   (rows: faces of the seed in order, skipping hair-style repeats; the "neutral" face has glasses off, mouth closed, no beard, not smiling; each pair toggles one switch,
 *   all else identical; masks are the exact regions that switch changes, shown grey-on-black.)
 * Run: deno run -A scripts/synth-samples.ts OUTDIR [--seed S] [--rows64 N] [--rows128 N]
 *      (or bundle with esbuild for Node).
 */

import process from 'node:process';
import { SAGAN_ATTRIBUTES, type FaceAttributes } from '../src/sagan/data/attrs.ts';
import { renderFace, renderFaceWithMasks, sampleFace, squareTarget } from '../src/sagan/data/faces.ts';
import { mkdir, writeFile } from '../src/sagan/data/fs.ts';
import { imageGrid } from '../src/engine/io/grid.ts';
import { encodePng } from '../src/engine/io/png.ts';
import type { Image8 } from '../src/engine/io/types.ts';

const args = process.argv.slice(2);
const outDir = args.find((a, i) => !a.startsWith('--') && !(args[i - 1] ?? '').startsWith('--'));
if (!outDir) {
  console.error('usage: synth-samples.ts OUTDIR [--seed S] [--rows64 N] [--rows128 N]');
  process.exit(2);
}
const opt = (name: string, dflt: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const seed = opt('--seed', 3); // a seed whose first faces show the range of hair, skin and background

/** Neutral state of the switches; the grid flips one at a time from here. */
const NEUTRAL: FaceAttributes = { Eyeglasses: false, Mouth_Slightly_Open: false, No_Beard: true, Smiling: false };

/** Face indices for the rows: in order, skipping a face whose hair style repeats the previous row's (variety). */
function pickFaces(rows: number): number[] {
  const out: number[] = [];
  for (let i = 0; out.length < rows; i++) {
    const prev = out.length ? sampleFace(seed, out[out.length - 1]!).hairStyle : undefined;
    if (sampleFace(seed, i).hairStyle !== prev) out.push(i);
  }
  return out;
}

function grid(size: number, rows: number): Image8 {
  const target = squareTarget(size);
  const cells: Image8[][] = [];
  for (const i of pickFaces(rows)) {
    const face = sampleFace(seed, i);
    const row = [renderFace(face, NEUTRAL, target)];
    for (const a of SAGAN_ATTRIBUTES) {
      const { image, masks } = renderFaceWithMasks(face, { ...NEUTRAL, [a]: !NEUTRAL[a] }, target, { attributes: [a] });
      row.push(image, masks[a]);
    }
    cells.push(row);
  }
  return imageGrid(cells, { gap: 2 });
}

await mkdir(outDir);
for (const [size, rows] of [[64, opt('--rows64', 6)], [128, opt('--rows128', 3)]] as const) {
  const path = `${outDir}/synth-${size}.png`;
  const png = encodePng(grid(size, rows), { level: 9 });
  await writeFile(path, png);
  console.log(`${path}: ${rows} faces at ${size}², ${(png.length / 1024).toFixed(0)} KiB`);
}
