/**
 * @file Synthetic faces: determinism (same seed → same bytes), switch independence (each attribute changes
 * pixels only inside its mask — checked against two independent full renders), mask plausibility
 * (non-empty, sized and placed where the attribute lives, the same whether the switch is on or off),
 * attribute frequencies, and the CelebA labels the generator reports.
 */
import { describe, expect, it } from 'vitest';
import { SAGAN_ATTRIBUTES, type FaceAttributes, type SaganAttribute } from '../../src/sagan/data/attrs.ts';
import {
  celebaLabels, celebaTarget, renderFace, renderFaceWithMasks, sampleAttributes, sampleFace, squareTarget,
  type RenderTarget,
} from '../../src/sagan/data/faces.ts';
import type { Image8 } from '../../src/engine/io/types.ts';

const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);

/** Pixels whose RGB differs between two renders. */
function diffSet(a: Image8, b: Image8): Uint8Array {
  const n = a.width * a.height;
  const d = new Uint8Array(n);
  for (let p = 0; p < n; p++) {
    if (a.data[p * 3] !== b.data[p * 3] || a.data[p * 3 + 1] !== b.data[p * 3 + 1] || a.data[p * 3 + 2] !== b.data[p * 3 + 2]) d[p] = 1;
  }
  return d;
}

/** Mask statistics inside the model's view: area fraction and centroid in view units ([−1, 1]²). */
function stats(mask: Image8, t: RenderTarget) {
  const v = t.view ?? { x: 0, y: 0, width: t.width, height: t.height };
  let n = 0, sx = 0, sy = 0;
  for (let y = 0; y < mask.height; y++) {
    for (let x = 0; x < mask.width; x++) {
      if (!mask.data[y * mask.width + x]) continue;
      n++;
      sx += ((x + 0.5 - v.x) / v.width) * 2 - 1;
      sy += ((y + 0.5 - v.y) / v.height) * 2 - 1;
    }
  }
  return { fraction: n / (v.width * v.height), cx: sx / Math.max(1, n), cy: sy / Math.max(1, n) };
}

/** Plausible area (fraction of the view) per attribute; measured ranges over 150 faces lie well inside. */
const AREA: Record<SaganAttribute, [number, number]> = {
  Eyeglasses: [0.03, 0.25],
  Mouth_Slightly_Open: [0.005, 0.08],
  No_Beard: [0.025, 0.4],
  Smiling: [0.02, 0.2],
};

describe('sampling', () => {
  it('is deterministic and index-addressable', () => {
    expect(sampleFace(7, 3)).toEqual(sampleFace(7, 3));
    expect(sampleAttributes(7, 3)).toEqual(sampleAttributes(7, 3));
    expect(sampleFace(7, 3)).not.toEqual(sampleFace(7, 4));
    expect(sampleFace(7, 3)).not.toEqual(sampleFace(8, 3));
  });

  it('draws switches independently at the configured frequencies; faces ignore the frequencies', () => {
    const N = 3000;
    const freq = { Eyeglasses: 0.2, Mouth_Slightly_Open: 0.5, No_Beard: 0.85, Smiling: 0.05 };
    const count: Record<string, number> = {};
    let both = 0;
    for (let i = 0; i < N; i++) {
      const a = sampleAttributes(1, i, freq);
      for (const k of SAGAN_ATTRIBUTES) count[k] = (count[k] ?? 0) + (a[k] ? 1 : 0);
      if (a.Eyeglasses && a.Mouth_Slightly_Open) both++;
    }
    for (const k of SAGAN_ATTRIBUTES) expect(Math.abs(count[k]! / N - freq[k])).toBeLessThan(0.03);
    expect(Math.abs(both / N - 0.2 * 0.5)).toBeLessThan(0.02); // independence
    const defaults = Array.from({ length: N }, (_, i) => sampleAttributes(1, i).Smiling).filter(Boolean).length;
    expect(Math.abs(defaults / N - 0.5)).toBeLessThan(0.03);
    expect(sampleFace(1, 5)).toEqual(sampleFace(1, 5)); // no hidden state shared with attribute sampling
  });
});

describe('renderFace', () => {
  it('gives identical bytes for the same seed, different bytes for another face', () => {
    for (const t of [squareTarget(64), celebaTarget()]) {
      const a = renderFace(sampleFace(3, 1), sampleAttributes(3, 1), t);
      const b = renderFace(sampleFace(3, 1), sampleAttributes(3, 1), t);
      expect(same(a.data, b.data)).toBe(true);
      expect(same(a.data, renderFace(sampleFace(3, 2), sampleAttributes(3, 1), t).data)).toBe(false);
      const m1 = renderFaceWithMasks(sampleFace(3, 1), sampleAttributes(3, 1), t);
      const m2 = renderFaceWithMasks(sampleFace(3, 1), sampleAttributes(3, 1), t);
      expect(same(m1.image.data, a.data)).toBe(true);
      for (const k of SAGAN_ATTRIBUTES) expect(same(m1.masks[k].data, m2.masks[k].data)).toBe(true);
    }
  });

  it('renders any size from 32 to 256 (and CelebA canvases) as RGB', () => {
    for (const t of [squareTarget(32), squareTarget(100), squareTarget(256), celebaTarget(), celebaTarget(89, 109)]) {
      const img = renderFace(sampleFace(0, 0), sampleAttributes(0, 0), t);
      expect([img.width, img.height, img.channels, img.data.length]).toEqual([t.width, t.height, 3, t.width * t.height * 3]);
      // Not a flat image: the face is there.
      const lum = Array.from({ length: t.width * t.height }, (_, p) => img.data[p * 3]! + img.data[p * 3 + 1]! + img.data[p * 3 + 2]!);
      expect(Math.max(...lum) - Math.min(...lum)).toBeGreaterThan(200);
    }
  });
});

describe('attribute masks', () => {
  const targets: [string, RenderTarget][] = [['64²', squareTarget(64)], ['128²', squareTarget(128)], ['178×218', celebaTarget()]];
  for (const [name, t] of targets) {
    it(`${name}: flipping one switch changes pixels only inside that attribute's mask (exactly)`, () => {
      const faces = name === '178×218' ? 4 : 8;
      for (let i = 0; i < faces; i++) {
        const face = sampleFace(11, i);
        const attrs = sampleAttributes(11, i);
        const { image, masks } = renderFaceWithMasks(face, attrs, t);
        for (const a of SAGAN_ATTRIBUTES) {
          const flipped: FaceAttributes = { ...attrs, [a]: !attrs[a] };
          const other = renderFace(face, flipped, t); // independent full render
          const d = diffSet(image, other);
          const m = masks[a].data;
          let changed = 0;
          for (let p = 0; p < d.length; p++) {
            if (d[p]) {
              changed++;
              if (!m[p]) throw new Error(`${name} face ${i} ${a}: pixel ${p} changed outside the mask`);
            }
          }
          expect(changed, `${a} changes some pixels`).toBeGreaterThan(0);
          // The mask is a property of the face, not of the switch state.
          const fromOther = renderFaceWithMasks(face, flipped, t, { attributes: [a] }).masks[a].data;
          expect(same(fromOther, m), `${a} mask is the same on and off`).toBe(true);
          // Dilation by 1 px keeps the mask tight around the change.
          let inMask = 0;
          for (const v of m) if (v) inMask++;
          expect(inMask).toBeLessThan(changed * 3 + 40);
          const s = stats(masks[a], t);
          expect(s.fraction, `${a} area`).toBeGreaterThan(AREA[a][0]);
          expect(s.fraction, `${a} area`).toBeLessThan(AREA[a][1]);
        }
      }
    });
  }

  it('places each region where its attribute lives: glasses above mouth, beard lowest, all central', () => {
    const t = squareTarget(96);
    for (let i = 0; i < 6; i++) {
      const { masks } = renderFaceWithMasks(sampleFace(21, i), sampleAttributes(21, i), t);
      const g = stats(masks.Eyeglasses, t), o = stats(masks.Mouth_Slightly_Open, t);
      const b = stats(masks.No_Beard, t), s = stats(masks.Smiling, t);
      for (const r of [g, o, b, s]) expect(Math.abs(r.cx)).toBeLessThan(0.25);
      expect(g.cy).toBeLessThan(0.25);
      expect(g.cy).toBeGreaterThan(-0.4);
      expect(o.cy).toBeGreaterThan(g.cy + 0.25);
      expect(s.cy).toBeGreaterThan(g.cy + 0.1);
      expect(b.cy).toBeGreaterThan(s.cy - 0.1);
    }
  });

  it('computes only the requested masks (others empty) and honours maskDilate', () => {
    const f = sampleFace(4, 0), a = sampleAttributes(4, 0), t = squareTarget(64);
    const only = renderFaceWithMasks(f, a, t, { attributes: ['Smiling'] });
    expect(only.masks.Eyeglasses.data.every((v) => v === 0)).toBe(true);
    const area = (m: Image8) => m.data.reduce((s, v) => s + (v ? 1 : 0), 0);
    const d0 = renderFaceWithMasks(f, a, t, { maskDilate: 0 }).masks.Smiling;
    const d2 = renderFaceWithMasks(f, a, t, { maskDilate: 2 }).masks.Smiling;
    expect(area(d0)).toBeLessThan(area(only.masks.Smiling));
    expect(area(only.masks.Smiling)).toBeLessThan(area(d2));
  });
});

describe('celebaLabels', () => {
  it('reports the switches and the hair / beard facts the renderer knows, nothing else', () => {
    for (let i = 0; i < 40; i++) {
      const f = sampleFace(2, i), a = sampleAttributes(2, i);
      const l = celebaLabels(f, a);
      expect(l.Eyeglasses).toBe(a.Eyeglasses ? 1 : -1);
      expect(l.No_Beard).toBe(a.No_Beard ? 1 : -1);
      expect(l.Smiling).toBe(a.Smiling ? 1 : -1);
      expect(l.Mouth_Slightly_Open).toBe(a.Mouth_Slightly_Open ? 1 : -1);
      expect(l.Bald).toBe(f.hairStyle === 'bald' ? 1 : -1);
      if (a.No_Beard) expect(l.Goatee).toBe(-1);
      const hairs = [l.Black_Hair, l.Brown_Hair, l.Blond_Hair, l.Gray_Hair].filter((v) => v === 1).length;
      expect(hairs).toBeLessThanOrEqual(1);
      expect(l.Male).toBeUndefined();
    }
  });
});

describe('render pinned bytes', () => {
  // SHA-256 over a few renders (every hair and beard style, all 16 switch combinations, masks, two canvases),
  // pinned so that refactoring the renderer (e.g. how buildLayers is split) cannot change a single byte.
  it('renders exactly the pinned bytes', async () => {
    const { createHash } = await import('node:crypto');
    const h = createHash('sha256');
    for (let i = 0; i < 16; i++) {
      const attrs = Object.fromEntries(SAGAN_ATTRIBUTES.map((k, b) => [k, Boolean((i >> b) & 1)])) as FaceAttributes;
      const t = i % 2 ? squareTarget(48) : celebaTarget(89, 109);
      const r = renderFaceWithMasks(sampleFace(11, i), attrs, t);
      h.update(r.image.data);
      for (const k of SAGAN_ATTRIBUTES) h.update(r.masks[k].data);
    }
    expect(h.digest('hex')).toBe('3b1e4caf4d425b90f8ff60af538f83d4e57e32caf23f8731698010c0bbdb47e3');
  });
});
