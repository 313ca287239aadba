/**
 * @file CelebA layout end to end: the list-file formats (CelebA's exact padding, CRLF, BOM), every
 * malformed-input error (file and line named), the synth writer's folder, and the loader reading it back —
 * PNG and JPEG, crop + resize, labels, masks, splits, seeded shuffling, prefetching, and errors for
 * missing / corrupt images at the batch they belong to.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile as nodeRead, readdir, rm, unlink, writeFile as nodeWrite } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CELEBA_ATTRIBUTES, SAGAN_ATTRIBUTES } from '../../src/sagan/data/attrs.ts';
import {
  CelebAError, formatAttrList, formatPartition, openCelebA, parseAttrList, parsePartition, type CelebAOptions,
} from '../../src/sagan/data/celeba.ts';
import { celebaTarget, renderFace, renderFaceWithMasks, sampleAttributes, sampleFace, squareTarget } from '../../src/sagan/data/faces.ts';
import { localFiles } from '../../src/sagan/data/fs.ts';
import { synthesizeCelebA } from '../../src/sagan/data/synth.ts';
import { imageToTensor } from '../../src/engine/io/image.ts';
import { celebaCrop } from '../../src/sagan/data/crop.ts';

const header40 = CELEBA_ATTRIBUTES.map((a) => `${a} `).join('');
const row = (name: string, plus: number[]) => name + CELEBA_ATTRIBUTES.map((_, i) => (plus.includes(i) ? '  1' : ' -1')).join('');

describe('list_attr_celeba.txt', () => {
  it("writes CelebA's exact format: count, names with trailing spaces, values padded to width 2", () => {
    const text = formatAttrList(CELEBA_ATTRIBUTES, [
      { name: '000001.jpg', values: CELEBA_ATTRIBUTES.map((_, i) => (i === 1 || i === 39 ? 1 : -1)) },
    ]);
    const lines = text.split('\n');
    expect(lines[0]).toBe('1');
    expect(lines[1]).toBe(header40);
    expect(lines[2]).toBe(`000001.jpg -1  1${' -1'.repeat(37)}  1`);
    expect(lines[3]).toBe('');
  });

  it('parses CelebA-style text (CRLF, BOM, padding) and round-trips', () => {
    const text = '\ufeff2\r\n' + header40 + '\r\n' + row('000001.jpg', [1, 2, 39]) + '\r\n' + row('000002.jpg', [15]) + '\r\n\r\n';
    const l = parseAttrList(text);
    expect(l.attributes).toEqual([...CELEBA_ATTRIBUTES]);
    expect(l.names).toEqual(['000001.jpg', '000002.jpg']);
    expect([...l.lines]).toEqual([3, 4]);
    expect(l.values[0 * 40 + 1]).toBe(1);
    expect(l.values[0 * 40 + 0]).toBe(-1);
    expect(l.values[1 * 40 + 15]).toBe(1);
    const again = parseAttrList(formatAttrList(l.attributes, l.names.map((name, i) => ({ name, values: l.values.subarray(i * 40, i * 40 + 40) }))));
    expect(again).toEqual(l);
  });

  it('rejects malformed lists with the file and line', () => {
    const ok = ['2', 'A B', 'x.jpg 1 -1', 'y.jpg -1 1'];
    const cases: [string[], string][] = [
      [[], 'f.txt:1: file is empty'],
      [['two', 'A B', 'x.jpg 1 -1'], "f.txt:1: expected the image count, found 'two'"],
      [['2'], 'f.txt:2: missing the line of attribute names'],
      [['1', 'x.jpg 1 -1'], 'f.txt:2:'],
      [['2', 'A A', 'x.jpg 1 -1', 'y.jpg 1 1'], "f.txt:2: attribute 'A' appears twice"],
      [['3', ...ok.slice(1)], 'f.txt:1: line 1 says 3 images but the file lists 2'],
      [['2', 'A B', 'x.jpg 1', 'y.jpg -1 1'], 'f.txt:3: expected an image name and 2 values, found 2 fields'],
      [['2', 'A B', 'x.jpg 1 -1', 'y.jpg -1 0'], "f.txt:4: value '0' for B is not 1 or -1"],
      [['2', 'A B', 'x.jpg 1 -1', 'x.jpg -1 1'], "f.txt:4: image 'x.jpg' listed twice (first on line 3)"],
      [['2', 'A B', 'x.jpg 1 -1', '', 'y.jpg -1 1'], 'f.txt:4: empty line inside the list'],
      [['2', 'A B', '1 1 -1', 'y.jpg -1 1'], "f.txt:3: '1' is not an image file name"],
    ];
    for (const [lines, msg] of cases) {
      let err: unknown;
      try {
        parseAttrList(lines.join('\n'), 'f.txt');
      } catch (e) {
        err = e;
      }
      expect(err, msg).toBeInstanceOf(CelebAError);
      expect((err as Error).message).toContain(msg);
    }
    expect(() => parseAttrList(ok.join('\n'), 'f.txt')).not.toThrow();
  });

  it('list_eval_partition.txt: formats, parses, rejects bad lines', () => {
    const text = formatPartition([{ name: 'a.jpg', split: 0 }, { name: 'b.jpg', split: 2 }]);
    expect(text).toBe('a.jpg 0\nb.jpg 2\n');
    expect([...parsePartition(text)]).toEqual([['a.jpg', { split: 0, line: 1 }], ['b.jpg', { split: 2, line: 2 }]]);
    expect(() => parsePartition('a.jpg 0\nb.jpg 3\n', 'p.txt')).toThrow("p.txt:2: expected 'name 0|1|2'");
    expect(() => parsePartition('a.jpg 0\na.jpg 1\n', 'p.txt')).toThrow('p.txt:2: image');
  });
});

describe('synthetic CelebA folder + loader', () => {
  let root: string;
  let pngDir: string, jpgDir: string;
  const N = 20;
  const SEED = 5;
  const base = (dir: string, extra: Partial<CelebAOptions> = {}): CelebAOptions => ({
    root: dir, attribute: 'Eyeglasses', size: 64, readFile: localFiles.readFile, trainCount: 14, ...extra,
  });

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'celeba-test-'));
    pngDir = join(root, 'png');
    jpgDir = join(root, 'jpg');
    await synthesizeCelebA(pngDir, { count: N, seed: SEED });
    await synthesizeCelebA(jpgDir, { count: 6, seed: SEED, format: 'jpg', masks: false, frequencies: { Smiling: 1 } });
  }, 120_000);
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("writes CelebA's layout: images, 40-attribute list, partition, masks, config", async () => {
    const imgs = (await readdir(join(pngDir, 'img_align_celeba'))).sort();
    expect(imgs).toHaveLength(N);
    expect(imgs[0]).toBe('000001.png');
    for (const a of SAGAN_ATTRIBUTES) expect(await readdir(join(pngDir, 'masks', a))).toHaveLength(N);
    const list = parseAttrList(await nodeRead(join(pngDir, 'list_attr_celeba.txt'), 'utf8'));
    expect(list.attributes).toEqual([...CELEBA_ATTRIBUTES]);
    expect(list.names).toEqual(imgs);
    for (let i = 0; i < N; i++) {
      const at = sampleAttributes(SEED, i);
      for (const a of SAGAN_ATTRIBUTES) expect(list.values[i * 40 + CELEBA_ATTRIBUTES.indexOf(a)]).toBe(at[a] ? 1 : -1);
      expect(list.values[i * 40 + CELEBA_ATTRIBUTES.indexOf('Male')]).toBe(-1);
    }
    const part = parsePartition(await nodeRead(join(pngDir, 'list_eval_partition.txt'), 'utf8'));
    expect([...part.values()].map((p) => p.split)).toEqual([...Array(16).fill(0), 1, 1, 2, 2]); // 80 / 10 / 10 %
    const cfg = JSON.parse(await nodeRead(join(pngDir, 'synth_config.json'), 'utf8'));
    expect(cfg).toMatchObject({ count: N, seed: SEED, width: 178, height: 218, format: 'png', masks: true });
    expect((await readdir(jpgDir)).includes('masks')).toBe(false);
    expect((await readdir(join(jpgDir, 'img_align_celeba')))[0]).toBe('000001.jpg');
  });

  it('loads exactly the rendered face: crop of the 178×218 file at 170, framed like a square render at 64', async () => {
    const ds = await openCelebA(base(pngDir, { size: 170, split: 'all' }));
    const i = 3;
    const t = await ds.loadImage(i);
    const rendered = renderFace(sampleFace(SEED, i), sampleAttributes(SEED, i), celebaTarget());
    const want = imageToTensor(rendered, { crop: celebaCrop(178, 218) });
    expect(t).toEqual(want);
    // At 64 the area-averaged crop matches a direct 64² render of the same face closely (same framing).
    const ds64 = await openCelebA(base(pngDir, { split: 'all' }));
    const small = await ds64.loadImage(i);
    const direct = imageToTensor(renderFace(sampleFace(SEED, i), sampleAttributes(SEED, i), squareTarget(64)));
    let err = 0;
    for (let k = 0; k < small.length; k++) err += Math.abs(small[k]! - direct[k]!);
    expect(err / small.length).toBeLessThan(0.04); // aligned ≈ 0.02–0.03; a 2-px shift of the crop gives up to 0.055
    expect(small.every((v) => v >= -1 && v <= 1)).toBe(true);
  });

  it('labels, split by count (first trainCount / rest) and by partition file', async () => {
    const train = await openCelebA(base(pngDir));
    const test = await openCelebA(base(pngDir, { split: 'test' }));
    expect(train.length).toBe(14);
    expect(test.length).toBe(6);
    expect(test.names[0]).toBe('000015.png');
    for (let i = 0; i < 14; i++) expect(train.labels[i]).toBe(sampleAttributes(SEED, i).Eyeglasses ? 1 : 0);
    expect(train.positives).toBe([...train.labels].filter((v) => v === 1).length);
    const byPart = await Promise.all((['train', 'val', 'test'] as const).map((split) => openCelebA(base(pngDir, { splitBy: 'partition', split }))));
    expect(byPart.map((d) => d.length)).toEqual([16, 2, 2]);
    const smile = await openCelebA(base(jpgDir, { attribute: 'Smiling', split: 'all' }));
    expect([...smile.labels]).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it('reads JPEG sets (CelebA file type) close to the PNG version of the same faces', async () => {
    const j = await openCelebA(base(jpgDir, { split: 'all' }));
    const p = await openCelebA(base(pngDir, { split: 'all' }));
    expect(j.names[0]).toBe('000001.jpg');
    const a = await j.loadImage(2), b = await p.loadImage(2);
    let err = 0;
    for (let k = 0; k < a.length; k++) err += Math.abs(a[k]! - b[k]!);
    expect(err / a.length).toBeLessThan(0.03);
  });

  it('loads region masks with the same crop and resize, in [0, 1]', async () => {
    const ds = await openCelebA(base(pngDir, { size: 170, split: 'all', attribute: 'No_Beard', masks: true }));
    const m = await ds.loadMask(4);
    const { masks } = renderFaceWithMasks(sampleFace(SEED, 4), sampleAttributes(SEED, 4), celebaTarget());
    expect(m).toEqual(imageToTensor(masks.No_Beard, { crop: celebaCrop(178, 218), range: [0, 1] }));
    const [batch] = await collect(await openCelebA(base(pngDir, { masks: true, attribute: 'Smiling' })), { batchSize: 4, epochs: 1 }, 1);
    expect(batch!.masks).toHaveLength(4 * 64 * 64);
    expect(batch!.masks!.some((v) => v > 0.99)).toBe(true);
    expect(batch!.masks!.every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it('batches: NCHW, seeded shuffle (new permutation per epoch), every image once per epoch', async () => {
    const ds = await openCelebA(base(pngDir));
    const b1 = await collect(ds, { batchSize: 4, seed: 1, epochs: 2 });
    expect(b1).toHaveLength(2 * 3); // 14 images → 3 full batches per epoch (dropLast)
    expect(b1[0]!.shape).toEqual([4, 3, 64, 64]);
    expect(b1[0]!.images).toHaveLength(4 * 3 * 64 * 64);
    for (const b of b1) b.names.forEach((n, k) => expect(b.labels[k]).toBe(ds.labels[ds.names.indexOf(n)]));
    const e0 = b1.filter((b) => b.epoch === 0).flatMap((b) => b.names);
    const e1 = b1.filter((b) => b.epoch === 1).flatMap((b) => b.names);
    expect(new Set(e0).size).toBe(12);
    expect(e0).not.toEqual(e1);
    const again = await collect(ds, { batchSize: 4, seed: 1, epochs: 2 });
    expect(again.map((b) => b.names)).toEqual(b1.map((b) => b.names));
    expect(again[5]!.images).toEqual(b1[5]!.images);
    const other = await collect(ds, { batchSize: 4, seed: 2, epochs: 1 });
    expect(other.flatMap((b) => b.names)).not.toEqual(e0);
    const all = await collect(ds, { batchSize: 4, shuffle: false, dropLast: false });
    expect(all.map((b) => b.names.length)).toEqual([4, 4, 4, 2]);
    expect(all.flatMap((b) => b.names)).toEqual(ds.names);
  });

  it('prefetches: while batch k is held, batches k+1 … k+prefetch are read, and no further', async () => {
    const reads: string[] = [];
    const readFile = async (p: string) => {
      reads.push(p.split('/').pop()!);
      return localFiles.readFile(p);
    };
    const ds = await openCelebA(base(pngDir, { readFile }));
    reads.length = 0;
    const it = ds.batches({ batchSize: 2, shuffle: false, prefetch: 2, epochs: 1 });
    const first = await it.next();
    expect(first.value!.names).toEqual(['000001.png', '000002.png']);
    await settle(() => reads.length);
    expect(reads).toEqual(['000001.png', '000002.png', '000003.png', '000004.png', '000005.png', '000006.png']);
    const second = await it.next();
    expect(second.value!.names).toEqual(['000003.png', '000004.png']);
    await settle(() => reads.length);
    expect(reads.slice(6)).toEqual(['000007.png', '000008.png']);
    await it.return();
  });

  it('stops prefetching when the consumer breaks out', async () => {
    let reads = 0;
    const ds = await openCelebA(base(pngDir, { readFile: async (p) => (reads++, localFiles.readFile(p)) }));
    reads = 0;
    for await (const b of ds.batches({ batchSize: 2, epochs: Infinity, prefetch: 1 })) {
      void b;
      break;
    }
    await settle(() => reads);
    expect(reads).toBeLessThanOrEqual(4);
  });

  it('names the file and line for an unknown attribute, missing files, corrupt images', async () => {
    await expect(openCelebA(base(pngDir, { attribute: 'Smilling' }))).rejects.toThrow(
      /list_attr_celeba\.txt:2: unknown attribute 'Smilling'; valid attributes: 5_o_Clock_Shadow, Arched_Eyebrows, .*Young/,
    );
    await expect(openCelebA(base(join(root, 'nowhere')))).rejects.toThrow(/nowhere\/list_attr_celeba\.txt: cannot read/);
    await expect(openCelebA(base(jpgDir, { splitBy: 'partition' }))).resolves.toBeDefined();
    await expect(openCelebA(base(pngDir, { split: 'val' }))).rejects.toThrow(/splitBy: 'partition'/);
    await expect(openCelebA(base(pngDir, { trainCount: 20, split: 'test' }))).rejects.toThrow(/split 'test' is empty/);
    const small = await openCelebA(base(jpgDir, { split: 'all' }));
    await expect(small.batches({ batchSize: 7 }).next()).rejects.toThrow(/not one full batch of 7/);

    // A broken copy: one image missing, one truncated; errors surface at their batch, naming file + line.
    const broken = join(root, 'broken');
    await synthesizeCelebA(broken, { count: 8, seed: 9, masks: false });
    await unlink(join(broken, 'img_align_celeba', '000006.png'));
    const p3 = join(broken, 'img_align_celeba', '000003.png');
    await nodeWrite(p3, (await nodeRead(p3)).subarray(0, 500));
    const ds = await openCelebA(base(broken, { split: 'all' }));
    const it = ds.batches({ batchSize: 2, shuffle: false, prefetch: 3 });
    expect((await it.next()).value!.names).toEqual(['000001.png', '000002.png']);
    const e1 = await it.next().catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(CelebAError);
    expect((e1 as CelebAError).file).toBe(p3);
    expect((e1 as Error).message).toMatch(/000003\.png: cannot decode image \(listed in .*list_attr_celeba\.txt line 5\): corrupt PNG/);
    await expect(ds.loadImage(5)).rejects.toThrow(/000006\.png: cannot read image \(listed in .*list_attr_celeba\.txt line 8\)/);
    // Malformed list on disk: the loader reports the file and line.
    await nodeWrite(join(broken, 'list_attr_celeba.txt'), '1\nA B\nx.png 1\n');
    await expect(openCelebA(base(broken, { attribute: 'A' }))).rejects.toThrow(/list_attr_celeba\.txt:3: expected an image name and 2 values/);
    await nodeWrite(join(broken, 'list_attr_celeba.txt'), new Uint8Array([0xff, 0xfe, 0x00]));
    await expect(openCelebA(base(broken, { attribute: 'A' }))).rejects.toThrow(/not a UTF-8 text file/);
  });
});

/** Collects up to `max` batches. */
async function collect(ds: Awaited<ReturnType<typeof openCelebA>>, opts: Parameters<Awaited<ReturnType<typeof openCelebA>>['batches']>[0], max = Infinity) {
  const out = [];
  for await (const b of ds.batches(opts)) {
    out.push(b);
    if (out.length >= max) break;
  }
  return out;
}

/** Waits until `probe()` stops changing for a while (background prefetching went idle). */
async function settle(probe: () => number): Promise<void> {
  let last = -1;
  for (let stable = 0; stable < 5; ) {
    await new Promise((r) => setTimeout(r, 20));
    const now = probe();
    stable = now === last ? stable + 1 : 0;
    last = now;
  }
}
