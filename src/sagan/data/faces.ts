/**
 * @file Deterministic procedural renderer of frontal faces with SaGAN's four attributes as independent
 * switches (Eyeglasses, Mouth_Slightly_Open, No_Beard, Smiling) and exact per-attribute region masks.
 *
 * How exactness is achieved:
 *  - `sampleFace(seed, index)` draws EVERY random quantity up front — nuisances and the appearance of all four
 *    attributes (glasses shape, smile curve, mouth gap, beard style) — from its own stream, and
 *    `sampleAttributes` draws the switches from a separate stream. Toggling a switch therefore changes
 *    nothing else about the face.
 *  - Rendering is a pure function of (params, switches, pixel): layers are shapes evaluated per pixel
 *    (signed distance fields, anti-aliased over one pixel), textures are value noise on fixed lattices,
 *    camera noise is a hash of the pixel coordinate, blur is a fixed Gaussian. So the image with a switch
 *    flipped differs only where that attribute's layers draw (plus the blur footprint).
 *  - The ground-truth mask of attribute A is literally the set of pixels whose 8-bit RGB differs between
 *    the face with A on and with A off (all else identical), dilated by `maskDilate` pixels. It is the same
 *    mask whether A is on or off, never empty, and by construction contains every pixel A changes.
 *    It is computed cheaply: each layer knows which attributes it depends on (`tags`) and its pixel
 *    bounding box, so the flipped face is re-rendered only inside the union of those boxes.
 *
 * Geometry lives in "view units": the model's square view (the 170×170 CelebA crop, or the whole image for
 * square targets) is [−1, 1]², x right, y down. Proportions follow CelebA's aligned faces (eyes ≈ 0.44
 * units apart near y = 0, mouth ≈ 0.5, chin ≈ 0.8). Per-face jitter moves, scales and rolls the figure.
 * No node: imports: runs in browsers too.
 */

import { Rng, hash2f, hash32, hashInts } from './rng.ts';
import { SAGAN_ATTRIBUTES, type FaceAttributes, type SaganAttribute } from './attrs.ts';
import { celebaCrop } from './crop.ts';
import type { Image8, Rect } from '../../engine/index.ts';

type RGB = readonly [number, number, number];

export type HairStyle = 'short' | 'long' | 'bangs' | 'bald';
export type HairColor = 'black' | 'dark_brown' | 'brown' | 'blond' | 'auburn' | 'gray';
export type BeardStyle = 'full' | 'goatee' | 'stubble';

/** Every random quantity of one face (view units; colours are sRGB in [0, 1]). */
export interface FaceParams {
  /** Seed of the order-free noise (hair/beard texture, pixel noise). */
  seed: number;
  // Placement of the whole figure: translate, scale and roll about the point (0, 0.25).
  offsetX: number;
  offsetY: number;
  scale: number;
  angle: number;
  // Skin and head shape.
  skin: RGB;
  faceW: number; // half-width of the face oval
  faceTop: number; // oval extent above its centre (cranium)
  chinDrop: number; // chin tip below the mouth line
  jaw: number; // 0 = elliptic lower face, larger = narrower jaw
  earRX: number;
  earRY: number;
  // Eyes (centres at ±eyeDX, eyeY).
  eyeY: number;
  eyeDX: number;
  eyeW: number; // half-width of the eye opening
  eyeH: number; // half-height of the eye opening
  eyeTilt: number; // outer corners up (> 0) or down
  iris: RGB;
  irisR: number; // iris radius / eyeH
  gaze: number; // −1 … 1, horizontal
  // Brows.
  browGap: number; // brow centre height above eyeY
  browThick: number;
  browArch: number;
  browSlope: number;
  browColor: RGB;
  // Nose (tip at eyeY + noseLen).
  noseLen: number;
  noseW: number;
  // Mouth (at nose tip + mouthDrop).
  mouthDrop: number;
  mouthW: number; // half-width
  upperLip: number;
  lowerLip: number;
  lip: RGB;
  neutralCurve: number; // corner lift when not smiling (small)
  // Hair.
  hairStyle: HairStyle;
  hairColor: HairColor;
  hair: RGB;
  hairVolume: number;
  hairline: number; // hairline height above eyeY at the centre
  hairlineCurve: number; // how far the hairline drops towards the temples
  bangs: number; // fringe bottom height above eyeY (bangs style)
  partX: number;
  longLen: number; // bottom y of long hair
  // Body and background.
  neckW: number;
  shirt: RGB;
  bgA: RGB;
  bgB: RGB;
  bgAngle: number;
  vignette: number;
  // Light and camera.
  lightAngle: number;
  lightStrength: number;
  ambient: number;
  tint: RGB;
  blur: number; // Gaussian sigma in pixels of a 128-pixel view (scaled with the view)
  noise: number; // per-channel pixel noise sigma, in [0, 1] units
  // Appearance of the four attributes (drawn whether or not the switch is on).
  glasses: {
    lensW: number;
    lensH: number;
    round: number;
    frame: number;
    frameColor: RGB;
    lensTint: RGB;
    tintAlpha: number;
    sun: boolean;
  };
  smile: { curve: number; widen: number; cheek: number };
  open: { gap: number; teeth: boolean };
  beard: { style: BeardStyle; density: number; color: RGB; length: number };
}

// ─── sampling ───────────────────────────────────────────────────────────────────────────────────────────

const SKIN: RGB[] = [
  [0.98, 0.87, 0.77], [0.95, 0.78, 0.65], [0.87, 0.68, 0.53], [0.76, 0.55, 0.4], [0.58, 0.39, 0.26], [0.4, 0.27, 0.18],
];
const HAIR: Record<HairColor, RGB> = {
  black: [0.07, 0.06, 0.055],
  dark_brown: [0.2, 0.13, 0.08],
  brown: [0.4, 0.26, 0.15],
  blond: [0.84, 0.7, 0.46],
  auburn: [0.52, 0.22, 0.1],
  gray: [0.68, 0.67, 0.65],
};
const HAIR_COLORS = Object.keys(HAIR) as HairColor[];
const EYES: RGB[] = [
  [0.33, 0.2, 0.1], [0.2, 0.12, 0.07], [0.45, 0.35, 0.15], [0.3, 0.45, 0.25], [0.3, 0.47, 0.68], [0.47, 0.52, 0.56],
];
const FRAMES: RGB[] = [
  [0.05, 0.05, 0.05], [0.12, 0.08, 0.06], [0.36, 0.2, 0.1], [0.75, 0.6, 0.3], [0.72, 0.72, 0.75], [0.5, 0.1, 0.12],
  [0.1, 0.15, 0.35],
];

function hsv(h: number, s: number, v: number): RGB {
  const i = Math.floor(h * 6);
  const f = h * 6 - i;
  const p = v * (1 - s);
  const q = v * (1 - f * s);
  const t = v * (1 - (1 - f) * s);
  switch (((i % 6) + 6) % 6) {
    case 0: return [v, t, p];
    case 1: return [q, v, p];
    case 2: return [p, v, t];
    case 3: return [p, q, v];
    case 4: return [t, p, v];
    default: return [v, p, q];
  }
}
const mix = (a: RGB, b: RGB, t: number): RGB => [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
const mul = (a: RGB, k: number): RGB => [a[0] * k, a[1] * k, a[2] * k];

/**
 * Draws all parameters of face `index` of the set `seed`. A fixed sequence of draws (never conditional on
 * earlier draws' outcomes for the count of draws) keeps every face reproducible and independent of others.
 */
export function sampleFace(seed: number, index = 0): FaceParams {
  const r = new Rng(hashInts(seed, index, 0x46414345));
  const u = (a: number, b: number) => r.range(a, b);
  const st = r.next() * (SKIN.length - 1);
  const si = Math.min(SKIN.length - 2, Math.floor(st));
  const skinBase = mix(SKIN[si]!, SKIN[si + 1]!, st - si);
  const skin: RGB = [skinBase[0] * u(0.96, 1.03), skinBase[1] * u(0.96, 1.03), skinBase[2] * u(0.95, 1.04)];
  const hairColor = r.pick(HAIR_COLORS, [0.3, 0.2, 0.18, 0.14, 0.08, 0.1]);
  const hk = u(0.85, 1.12);
  const hair = mul(HAIR[hairColor], hk);
  const hairStyle = r.pick<HairStyle>(['short', 'long', 'bangs', 'bald'], [0.36, 0.3, 0.22, 0.12]);
  const browBase = hairColor === 'blond' || hairColor === 'gray' ? mix(hair, [0.15, 0.1, 0.07], 0.55) : mul(hair, 0.9);
  const lip = mul(mix(skin, [0.74, 0.27, 0.3], u(0.4, 0.6)), u(0.82, 0.95));
  const bgA = hsv(r.next(), u(0, 0.35), u(0.35, 0.95));
  const bgB = hsv(r.next(), u(0, 0.35), u(0.25, 0.95));
  const sun = r.bool(0.15);
  const frameColor = r.pick(FRAMES);
  const lensTint = r.pick<RGB>([[0.55, 0.6, 0.65], [0.5, 0.4, 0.3], [0.35, 0.45, 0.6], [0.3, 0.3, 0.3]]);
  const beardStyle = r.pick<BeardStyle>(['full', 'goatee', 'stubble'], [0.5, 0.3, 0.2]);
  const beardColor = hairColor === 'blond' ? mix(hair, [0.3, 0.2, 0.1], 0.45) : mul(hair, u(0.75, 0.95));
  return {
    seed: hash32(r.u32()),
    offsetX: u(-0.05, 0.05),
    offsetY: u(-0.05, 0.05),
    scale: u(0.93, 1.07),
    angle: u(-0.12, 0.12),
    skin,
    faceW: u(0.46, 0.54),
    faceTop: u(0.76, 0.86),
    chinDrop: u(0.27, 0.34),
    jaw: u(0.15, 0.4),
    earRX: u(0.055, 0.075),
    earRY: u(0.11, 0.14),
    eyeY: u(-0.04, 0.04),
    eyeDX: u(0.2, 0.235),
    eyeW: u(0.095, 0.118),
    eyeH: u(0.034, 0.048),
    eyeTilt: u(-0.12, 0.18),
    iris: mul(r.pick(EYES), u(0.85, 1.15)),
    irisR: u(0.95, 1.15),
    gaze: u(-1, 1),
    browGap: u(0.1, 0.135),
    browThick: u(0.026, 0.045),
    browArch: u(0.005, 0.035),
    browSlope: u(-0.03, 0.02),
    browColor: browBase,
    noseLen: u(0.3, 0.36),
    noseW: u(0.075, 0.1),
    mouthDrop: u(0.12, 0.16),
    mouthW: u(0.15, 0.19),
    upperLip: u(0.026, 0.04),
    lowerLip: u(0.032, 0.055),
    lip,
    neutralCurve: u(-0.008, 0.012),
    hairStyle,
    hairColor,
    hair,
    hairVolume: hairStyle === 'bald' ? u(0.012, 0.03) : u(0.035, 0.12),
    hairline: u(0.4, 0.52),
    hairlineCurve: u(0.2, 0.34),
    bangs: u(0.17, 0.24),
    partX: u(-0.2, 0.2),
    longLen: u(0.85, 1.35),
    neckW: u(0.19, 0.25),
    shirt: hsv(r.next(), u(0.15, 0.7), u(0.15, 0.85)),
    bgA,
    bgB,
    bgAngle: u(0, 2 * Math.PI),
    vignette: u(0, 0.35),
    lightAngle: u(0, 2 * Math.PI),
    lightStrength: u(0, 0.28),
    ambient: u(0.85, 1.08),
    tint: [u(0.95, 1.05), u(0.95, 1.05), u(0.95, 1.05)],
    blur: r.bool(0.6) ? u(0.2, 0.9) : 0,
    noise: u(0, 0.025),
    glasses: {
      lensW: u(0.14, 0.18),
      lensH: u(0.085, 0.125),
      round: u(0.25, 1),
      frame: u(0.012, 0.028),
      frameColor,
      lensTint,
      tintAlpha: sun ? u(0.72, 0.9) : u(0.1, 0.28),
      sun,
    },
    smile: { curve: u(0.06, 0.09), widen: u(1.06, 1.16), cheek: u(0.6, 1) },
    open: { gap: u(0.045, 0.075), teeth: r.bool(0.8) },
    beard: { style: beardStyle, density: beardStyle === 'stubble' ? u(0.5, 0.65) : u(0.8, 1), color: beardColor, length: u(0.02, 0.07) },
  };
}

/**
 * Draws the four switches of face `index`, each independently: attribute A is on (CelebA value +1) with
 * probability `frequencies[A]` (default 0.5). For No_Beard "on" means no beard. Separate stream from
 * sampleFace, so changing frequencies never changes how faces look.
 */
export function sampleAttributes(
  seed: number,
  index = 0,
  frequencies: Partial<Record<SaganAttribute, number>> = {},
): FaceAttributes {
  const r = new Rng(hashInts(seed, index, 0x41545452));
  const out = {} as FaceAttributes;
  for (const a of SAGAN_ATTRIBUTES) out[a] = r.next() < (frequencies[a] ?? 0.5);
  return out;
}

// ─── shape helpers (all distances in view units; negative inside) ──────────────────────────────────────

const clamp01 = (x: number) => (x < 0 ? 0 : x > 1 ? 1 : x);
/** Hermite smoothstep. */
function smooth(e0: number, e1: number, x: number): number {
  const t = clamp01((x - e0) / (e1 - e0));
  return t * t * (3 - 2 * t);
}
/** Approximate ellipse SDF (Quílez): d ≈ k0(k0 − 1)/k1, exact on the boundary's normal to first order. */
function sdEllipse(x: number, y: number, a: number, b: number): number {
  const k0 = Math.sqrt((x * x) / (a * a) + (y * y) / (b * b));
  const k1 = Math.sqrt((x * x) / (a * a * a * a) + (y * y) / (b * b * b * b));
  return k1 > 1e-12 ? (k0 * (k0 - 1)) / k1 : -Math.min(a, b);
}
/** Exact SDF of a box of half-size (hw, hh) with corner radius r. */
function sdRoundBox(x: number, y: number, hw: number, hh: number, r: number): number {
  const qx = Math.abs(x) - hw + r;
  const qy = Math.abs(y) - hh + r;
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
}
/** Exact distance to segment AB. */
function sdSegment(x: number, y: number, ax: number, ay: number, bx: number, by: number): number {
  const px = x - ax, py = y - ay, dx = bx - ax, dy = by - ay;
  const h = clamp01((px * dx + py * dy) / (dx * dx + dy * dy));
  return Math.hypot(px - dx * h, py - dy * h);
}
/** Value noise in [0, 1]: hashed lattice values, smoothstep-interpolated. Order-free (pure function of x, y). */
function vnoise(x: number, y: number, seed: number): number {
  const xi = Math.floor(x), yi = Math.floor(y);
  const xf = x - xi, yf = y - yi;
  const sx = xf * xf * (3 - 2 * xf), sy = yf * yf * (3 - 2 * yf);
  const a = hash2f(xi, yi, seed), b = hash2f(xi + 1, yi, seed);
  const c = hash2f(xi, yi + 1, seed), d = hash2f(xi + 1, yi + 1, seed);
  return a + (b - a) * sx + (c - a) * sy + (a - b - c + d) * sx * sy;
}

/**
 * Head outline: centred (0, cy), half-width w, extent `top` above the centre (an ellipse: the cranium) and
 * `bot` below it (a superellipse of exponent 3: full cheeks and a squarish chin), whose half-width shrinks
 * as w(1 − jaw·t²), t = fraction of the way down (the jaw line). Distance ≈ (q − 1)/|∇q| for the implicit
 *   upper: q = √(a² + b²),  lower: q = ∛(|a|³ + |b|³),  a = x/rx(y), b = dy/ry,
 * with ∂q/∂a = sign(a)(|a|/q)ⁿ⁻¹, ∂a/∂x = 1/rx, ∂a/∂y = −x·rx′/rx², ∂b/∂y = 1/ry. (Exponents 2 and 3 keep
 * this to one sqrt / cbrt per pixel — a general pow was the renderer's hot spot.)
 */
function ovalSdf(cy: number, w: number, top: number, bot: number, jaw: number) {
  return (x: number, y: number): number => {
    const dy = y - cy;
    if (dy <= 0) {
      const a = x / w, b = dy / top;
      const q = Math.sqrt(a * a + b * b);
      if (q < 1e-9) return -Math.min(w, top);
      const gx = a / (q * w), gy = b / (q * top);
      return (q - 1) / Math.sqrt(gx * gx + gy * gy);
    }
    const t = dy / bot;
    let rx = w * (1 - jaw * t * t);
    let drx = (-w * jaw * 2 * dy) / (bot * bot);
    if (rx < 0.05 * w) {
      rx = 0.05 * w;
      drx = 0;
    }
    const a = Math.abs(x) / rx, b = t;
    const q = Math.cbrt(a * a * a + b * b * b);
    if (q < 1e-9) return -Math.min(rx, bot);
    const qa = ((a / q) * (a / q)) * (x < 0 ? -1 : 1);
    const qb = (b / q) * (b / q);
    const gx = qa / rx;
    const gy = (-qa * x * drx) / (rx * rx) + qb / bot;
    return (q - 1) / Math.sqrt(gx * gx + gy * gy);
  };
}

/** Premultiplied "over": paints colour (r, g, b) with coverage a onto accumulator o = [R, G, B, A]. */
function over(o: Float64Array, r: number, g: number, b: number, a: number): void {
  if (a <= 0) return;
  if (a > 1) a = 1;
  const k = 1 - a;
  o[0] = o[0]! * k + r * a;
  o[1] = o[1]! * k + g * a;
  o[2] = o[2]! * k + b * a;
  o[3] = o[3]! * k + a;
}

// ─── scene ──────────────────────────────────────────────────────────────────────────────────────────────

/** Where to draw: canvas size and the square `view` (pixels) that [−1, 1]² maps onto. */
export interface RenderTarget {
  width: number;
  height: number;
  /** Default: the centred square of side min(width, height). */
  view?: Rect;
}

/** A square size×size image whose whole area is the model's view (what the model sees after cropping). */
export function squareTarget(size: number): RenderTarget {
  return { width: size, height: size, view: { x: 0, y: 0, width: size, height: size } };
}

/**
 * A CelebA-layout canvas (178×218 by default) whose view is exactly the CelebA loader's centre crop, so that
 * cropping + resizing the written image gives the model precisely the face the renderer framed.
 */
export function celebaTarget(width = 178, height = 218): RenderTarget {
  return { width, height, view: celebaCrop(width, height) };
}

const PIVOT_Y = 0.25; // the figure rolls and scales about (0, PIVOT_Y): between the eyes and the mouth

type Shade = (u: number, v: number, o: Float64Array) => void;
interface Layer {
  tags: number; // bit i set ⇔ the layer's look depends on SAGAN_ATTRIBUTES[i]
  x0: number; y0: number; x1: number; y1: number; // pixel bbox, [x0, x1) × [y0, y1)
  shade: Shade;
}

const BIT: Record<SaganAttribute, number> = { Eyeglasses: 1, Mouth_Slightly_Open: 2, No_Beard: 4, Smiling: 8 };

interface Scene {
  face: FaceParams;
  width: number;
  height: number;
  view: Rect;
  // pixel (px, py) → face frame (u, v): u = au·px + bu·py + cu, v = av·px + bv·py + cv (pixel centres)
  au: number; bu: number; cu: number; av: number; bv: number; cv: number;
  pu: number; // face-frame units per pixel
  layers: Layer[];
  blurSigma: number;
  blurR: number;
}

function makeScene(face: FaceParams, attrs: FaceAttributes, target: RenderTarget): Scene {
  const { width, height } = target;
  const side = Math.min(width, height);
  const view = target.view ?? { x: Math.floor((width - side) / 2), y: Math.floor((height - side) / 2), width: side, height: side };
  const vs = view.width;
  const cos = Math.cos(face.angle), sin = Math.sin(face.angle), s = face.scale;
  // view X = (px + 0.5 − vx)·2/vs − 1; face = P + R(−θ)·(X − P − off)/s
  const k = 2 / vs;
  const ox = -(view.x) * k - 1 + 0.5 * k - face.offsetX; // X − P.x − offX at px = 0, P.x = 0
  const oy = -(view.y) * k - 1 + 0.5 * k - face.offsetY - PIVOT_Y;
  const au = (cos * k) / s, bu = (sin * k) / s, cu = (cos * ox + sin * oy) / s;
  const av = (-sin * k) / s, bv = (cos * k) / s, cv = (-sin * ox + cos * oy) / s + PIVOT_Y;
  const scene: Scene = {
    face, width, height, view, au, bu, cu, av, bv, cv,
    pu: k / s,
    layers: [],
    blurSigma: (face.blur * vs) / 128,
    blurR: 0,
  };
  scene.blurR = scene.blurSigma >= 0.2 ? Math.ceil(2.5 * scene.blurSigma) : 0;

  /** Face-frame box → pixel bbox (AABB of the four transformed corners, +AA margin, clipped). */
  const add = (tags: number, u0: number, v0: number, u1: number, v1: number, shade: Shade) => {
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    for (const [u, v] of [[u0, v0], [u1, v0], [u0, v1], [u1, v1]] as const) {
      const X = face.offsetX + s * (cos * u - sin * (v - PIVOT_Y));
      const Y = face.offsetY + PIVOT_Y + s * (sin * u + cos * (v - PIVOT_Y));
      const px = ((X + 1) * vs) / 2 + view.x - 0.5;
      const py = ((Y + 1) * vs) / 2 + view.y - 0.5;
      minX = Math.min(minX, px); maxX = Math.max(maxX, px);
      minY = Math.min(minY, py); maxY = Math.max(maxY, py);
    }
    const x0 = Math.max(0, Math.floor(minX) - 2), y0 = Math.max(0, Math.floor(minY) - 2);
    const x1 = Math.min(width, Math.ceil(maxX) + 3), y1 = Math.min(height, Math.ceil(maxY) + 3);
    if (x1 > x0 && y1 > y0) scene.layers.push({ tags, x0, y0, x1, y1, shade });
  };
  buildLayers(face, attrs, scene.pu, add);
  return scene;
}

/**
 * The face as a stack of layers, back to front. `pu` (units per pixel) sets anti-aliasing widths:
 * coverage = clamp(0.5 − d/pu) is the fraction of a pixel-wide box filter inside the edge.
 * The order matters: layers before the nose depend on no switch (see Prefix).
 */
function buildLayers(f: FaceParams, attrs: FaceAttributes, pu: number, add: FaceFrame['add']): void {
  const c = faceFrame(f, attrs, pu, add);
  longHairBehind(c); // 1
  shouldersAndNeck(c); // 2, 3
  ears(c); // 4
  faceSkin(c); // 5
  eyeSockets(c); // 6
  nose(c); // 7
  smileCheeks(c); // 8
  beard(c); // 9
  mouth(c); // 10
  eyes(c); // 11
  eyebrows(c); // 12
  hairInFront(c); // 13
  eyeglasses(c); // 14
}

/** What every part of the face is drawn from: the parameters, the switches, and the head's geometry. */
interface FaceFrame {
  f: FaceParams;
  attrs: FaceAttributes;
  /** View units per pixel (sets anti-aliasing widths). */
  pu: number;
  /** Adds a layer over the face-frame box [u0, u1] × [v0, v1]; `tags` are the switches it depends on. */
  add: (tags: number, u0: number, v0: number, u1: number, v1: number, shade: Shade) => void;
  /** Coverage of a pixel-wide box filter at signed distance d: clamp(0.5 − d/pu). */
  cov: (d: number) => number;
  /** Coverage with an edge at least w wide. */
  soft: (d: number, w: number) => number;
  /** Skin colour. */
  sr: number; sg: number; sb: number;
  /** Head outline centre, nose tip, mouth line and chin (v coordinates); bot = chin below the centre. */
  fcY: number; noseTip: number; mouthY: number; chinY: number; bot: number;
  /** Signed distance to the head outline. */
  faceSd: (u: number, v: number) => number;
  headTop: number;
  lightX: number;
  seed: number;
  /** Hair volume, the hair mass's signed distance and the crown its strands radiate from. */
  vol: number;
  capSd: (u: number, v: number) => number;
  crownX: number; crownY: number;
  /** Paints hair at (u, v) with coverage a, darkened by depth. */
  hairShade: (u: number, v: number, o: Float64Array, a: number, depth: number) => void;
  /** Signed distance to the uncovered skin window (negative inside the face below the hairline). */
  windowSd: (u: number, v: number) => number;
  /** Mouth half-width as drawn (wider when smiling). */
  mw: number;
}

/** The head's geometry and the shared shading helpers for face `f` (see FaceFrame). */
function faceFrame(f: FaceParams, attrs: FaceAttributes, pu: number, add: FaceFrame['add']): FaceFrame {
  const cov = (d: number) => clamp01(0.5 - d / pu);
  const soft = (d: number, w: number) => clamp01(0.5 - d / Math.max(pu, w)); // edge at least w wide
  const [sr, sg, sb] = f.skin;
  const fcY = f.eyeY + 0.05; // centre of the head outline: eyes sit at mid-head
  const noseTip = f.eyeY + f.noseLen;
  const mouthY = noseTip + f.mouthDrop;
  const chinY = mouthY + f.chinDrop;
  const bot = chinY - fcY;
  const faceSd = ovalSdf(fcY, f.faceW, f.faceTop, bot, f.jaw);
  const headTop = fcY - f.faceTop;
  const lightX = Math.cos(f.lightAngle);
  const seed = f.seed;
  const [hr, hg, hb] = f.hair;
  const vol = f.hairVolume;
  // Hair mass: an ellipse around the cranium, fuller on top than at the sides.
  const capSd = (u: number, v: number) => sdEllipse(u, v - fcY + 0.15 * vol, f.faceW + vol, f.faceTop + 1.15 * vol);
  const crownX = f.partX, crownY = headTop + 0.12;

  // Hair colour at (u, v): strands radiating from the crown, a sheen band, darker near the face.
  const hairShade = (u: number, v: number, o: Float64Array, a: number, depth: number) => {
    const dx = u - crownX, dy = v - crownY;
    const phi = Math.atan2(dy, dx);
    const rr = Math.sqrt(dx * dx + dy * dy);
    const strand = 0.6 * vnoise(phi * 26, rr * 4, seed ^ 0x1111) + 0.4 * vnoise(phi * 70, rr * 10, seed ^ 0x2222);
    const sheen = 0.22 * Math.exp(-(((rr - 0.42) / 0.12) ** 2)) * (0.6 + 0.4 * Math.cos(phi + 1.57 - lightX));
    const k = (0.62 + 0.55 * strand) * depth;
    over(o, hr * k + sheen * 0.6, hg * k + sheen * 0.58, hb * k + sheen * 0.55, a);
  };

  // Hairline: skin below it (inside the face oval). Bangs bring a fringe down over the forehead.
  const hairlineAt = (u: number): number => {
    const t = u / f.faceW;
    let hl = f.eyeY - f.hairline + f.hairlineCurve * t * t;
    if (f.hairStyle === 'bangs') {
      const jag = 0.018 * (vnoise(u * 28, 3.5, seed ^ 0x3333) - 0.5) + 0.01 * Math.abs(Math.sin(u * 40));
      const fringe = f.eyeY - f.bangs + jag - 0.6 * smooth(0.7 * f.faceW, 1.0 * f.faceW, Math.abs(u));
      hl = Math.max(hl, fringe);
    }
    return hl;
  };
  // Signed distance to the uncovered skin window (negative inside the face below the hairline).
  const windowSd = (u: number, v: number): number =>
    f.hairStyle === 'bald' ? faceSd(u, v) : Math.max(faceSd(u, v), hairlineAt(u) - v);
  const mw = f.mouthW * (attrs.Smiling ? f.smile.widen : 1); // mouth half-width as drawn
  return {
    f, attrs, pu, add, cov, soft, sr, sg, sb, fcY, noseTip, mouthY, chinY, bot, faceSd, headTop, lightX, seed,
    vol, capSd, crownX, crownY, hairShade, windowSd, mw,
  };
}

/** Long hair behind the head, neck and shoulders. */
function longHairBehind(c: FaceFrame): void {
  const { f, pu, add, soft, fcY, headTop, seed, vol, capSd, hairShade } = c;
  if (f.hairStyle === 'long') {
    const hw = f.faceW + vol + 0.07;
    const midY = (fcY - 0.3 + f.longLen) / 2, hh = (f.longLen - (fcY - 0.3)) / 2;
    add(0, -hw - 0.05, headTop - vol - 0.05, hw + 0.05, f.longLen + 0.05, (u, v, o) => {
      const jagged = 0.02 * (vnoise(u * 30, 7.7, seed ^ 0x4444) - 0.5);
      const d = Math.min(capSd(u, v), sdRoundBox(u, v - midY, hw, hh, 0.14) + jagged * smooth(midY, f.longLen, v));
      const a = soft(d, 1.5 * pu);
      if (a > 0) hairShade(u, v, o, a, 0.72);
    });
  }
}

/** Shoulders (the shirt), then the neck. */
function shouldersAndNeck(c: FaceFrame): void {
  const { f, add, cov, sr, sg, sb, fcY, chinY } = c;
  const [r, g, b] = f.shirt;
  add(0, -1.3, 0.9, 1.3, 2.4, (u, v, o) => {
    const d = sdEllipse(u, v - 1.62, 1.15, 0.64);
    const a = cov(d);
    if (a <= 0) return;
    const k = 0.78 + 0.3 * smooth(-0.3, 0, -Math.abs(u) * 0.4 - d) - 0.12 * smooth(0.9, 1.3, v);
    over(o, r * k, g * k, b * k, a);
  });
  add(0, -f.neckW - 0.02, fcY, f.neckW + 0.02, 1.3, (u, v, o) => {
    const d = sdRoundBox(u, v - 0.85, f.neckW, 0.3, 0.12);
    const a = cov(d);
    if (a <= 0) return;
    const k = 0.7 + 0.14 * smooth(chinY - 0.05, chinY + 0.2, v) - 0.1 * smooth(0.5, 1, Math.abs(u) / f.neckW);
    over(o, sr * k, sg * k, sb * k, a);
  });
}

/** Ears, behind the face. */
function ears(c: FaceFrame): void {
  const { f, add, cov, sr, sg, sb } = c;
  for (const side of [-1, 1]) {
    const ex = side * (f.faceW + f.earRX * 0.35), ey = f.eyeY + 0.1;
    add(0, ex - f.earRX, ey - f.earRY, ex + f.earRX, ey + f.earRY, (u, v, o) => {
      const d = sdEllipse(u - ex, v - ey, f.earRX, f.earRY);
      const a = cov(d);
      if (a <= 0) return;
      over(o, sr * 0.9, sg * 0.88, sb * 0.88, a);
      const di = sdEllipse(u - ex - side * 0.012, v - ey - 0.01, f.earRX * 0.55, f.earRY * 0.6);
      over(o, sr * 0.68, sg * 0.6, sb * 0.58, a * 0.7 * smooth(0.02, -0.01, di));
    });
  }
}

/** Face: skin with soft shading towards the outline and under the cheekbones. */
function faceSkin(c: FaceFrame): void {
  const { f, add, cov, sr, sg, sb, noseTip, mouthY, chinY, faceSd, headTop } = c;
  add(0, -f.faceW, headTop, f.faceW, chinY, (u, v, o) => {
    const d = faceSd(u, v);
    const a = cov(d);
    if (a <= 0) return;
    const inner = smooth(0, 0.22, -d);
    let k = 0.8 + 0.2 * inner;
    k -= 0.06 * smooth(0.12, 0.38, Math.abs(u)) * smooth(noseTip - 0.1, mouthY + 0.1, v);
    k += 0.04 * Math.exp(-((u / 0.25) ** 2 + ((v - (f.eyeY - 0.35)) / 0.15) ** 2)); // forehead highlight
    over(o, sr * k, sg * k, sb * k, a);
  });
}

/** Eye sockets: soft shadow around each eye. */
function eyeSockets(c: FaceFrame): void {
  const { f, add, sr, sg, sb } = c;
  for (const side of [-1, 1]) {
    const cx = side * f.eyeDX, cy = f.eyeY - 0.015;
    const rx = f.eyeW * 1.6, ry = f.eyeH * 2.6;
    add(0, cx - rx * 1.5, cy - ry * 1.5, cx + rx * 1.5, cy + ry * 1.5, (u, v, o) => {
      const q = ((u - cx) / rx) ** 2 + ((v - cy) / ry) ** 2;
      if (q > 2.25) return;
      over(o, sr * 0.72, sg * 0.64, sb * 0.62, 0.16 * Math.exp(-q * 1.2));
    });
  }
}

/** Nose: bridge shadow on the side away from the light, tip highlight, nostrils, wings. */
function nose(c: FaceFrame): void {
  const { f, pu, add, soft, sr, sg, sb, noseTip, lightX } = c;
  const sh = lightX > 0 ? -1 : 1;
  const nw = f.noseW;
  add(0, -nw - 0.04, f.eyeY, nw + 0.04, noseTip + 0.06, (u, v, o) => {
    const along = smooth(f.eyeY + 0.03, f.eyeY + 0.12, v) * smooth(noseTip + 0.01, noseTip - 0.05, v);
    over(o, sr * 0.7, sg * 0.62, sb * 0.6, 0.2 * along * Math.exp(-(((u - sh * nw * 0.42) / 0.03) ** 2)));
    const qt = (u / (nw * 0.85)) ** 2 + ((v - noseTip - 0.018) / 0.028) ** 2; // under-tip shadow
    over(o, sr * 0.62, sg * 0.52, sb * 0.5, 0.3 * Math.exp(-qt * 1.5));
    const qh = (u / 0.03) ** 2 + ((v - noseTip + 0.035) / 0.03) ** 2; // tip highlight
    over(o, Math.min(1, sr * 1.12), Math.min(1, sg * 1.12), Math.min(1, sb * 1.12), 0.3 * Math.exp(-qh * 1.3));
    for (const s2 of [-1, 1]) {
      const wx = s2 * nw * 0.78, wy = noseTip - 0.004;
      const dw = Math.abs(sdEllipse(u - wx, v - wy, 0.032, 0.028)) - 0.004; // wing outline
      over(o, sr * 0.6, sg * 0.5, sb * 0.48, 0.4 * soft(dw, 1.5 * pu) * smooth(wy - 0.03, wy + 0.01, v));
      const nx = s2 * nw * 0.42, ny = noseTip + 0.02; // nostril
      const dn = sdEllipse((u - nx) * 0.94 + s2 * (v - ny) * 0.34, v - ny, 0.024, 0.011);
      over(o, sr * 0.32, sg * 0.24, sb * 0.23, 0.85 * soft(dn, 1.2 * pu));
    }
  });
}

/** Smiling: raised, slightly flushed cheeks and nasolabial folds. */
function smileCheeks(c: FaceFrame): void {
  const { f, attrs, pu, add, sr, sg, sb, noseTip, mouthY, mw } = c;
  if (attrs.Smiling) {
    const ck = f.smile.cheek;
    for (const side of [-1, 1]) {
      const cx = side * (mw + 0.085), cy = mouthY - 0.16;
      const ax = side * (f.noseW + 0.035), ay = noseTip - 0.015; // fold from the nose wing …
      const bx = side * (mw + 0.03), by = mouthY + 0.05; // … to past the mouth corner
      const u0 = Math.min(cx - 0.15, ax, bx) - 0.03, u1 = Math.max(cx + 0.15, ax, bx) + 0.03;
      add(BIT.Smiling, u0, cy - 0.15, u1, by + 0.03, (u, v, o) => {
        const q = ((u - cx) / 0.1) ** 2 + ((v - cy) / 0.07) ** 2;
        if (q < 4) {
          const a = 0.45 * ck * Math.exp(-q * 1.1);
          over(o, Math.min(1, sr * 1.1 + 0.03), sg * 1.0, sb * 0.98, a); // raised cheek catches light
          const q2 = ((u - cx) / 0.11) ** 2 + ((v - cy - 0.075) / 0.035) ** 2; // shadow under it
          over(o, sr * 0.8, sg * 0.72, sb * 0.7, 0.22 * ck * Math.exp(-q2 * 1.5));
        }
        if (v > ay - 0.01 && v < by + 0.01) {
          const t = clamp01((v - ay) / (by - ay));
          const fu = ax + (bx - ax) * t + side * 0.045 * 4 * t * (1 - t); // bowed outwards
          const slope = (bx - ax + side * 0.045 * 4 * (1 - 2 * t)) / (by - ay);
          const dist = Math.abs(u - fu) / Math.sqrt(1 + slope * slope);
          const w = 0.009 * (0.4 + 0.6 * Math.sin(Math.PI * t)) + 0.4 * pu;
          const a = 0.6 * ck * Math.exp(-((dist / w) ** 2)) * smooth(0, 0.12, t) * smooth(1, 0.85, t);
          over(o, sr * 0.68, sg * 0.58, sb * 0.55, a);
        }
      });
    }
  }
}

/** Beard (drawn when No_Beard is off): textured hair on jaw, chin and upper lip, under the lips. */
function beard(c: FaceFrame): void {
  const { f, attrs, add, fcY, noseTip, mouthY, chinY, bot, seed } = c;
  if (!attrs.No_Beard) {
    const bd = f.beard;
    const beardOval = ovalSdf(fcY, f.faceW + 0.012, f.faceTop, bot + bd.length, f.jaw * 0.9);
    const mwB = f.mouthW; // beard geometry never depends on Smiling: layers must not share switches
    const [cr, cg, cb] = bd.color;
    add(BIT.No_Beard, -f.faceW - 0.05, f.eyeY, f.faceW + 0.05, chinY + bd.length + 0.05, (u, v, o) => {
      const au = Math.abs(u);
      // Moustache: band from under the nose to the upper lip, slightly wider than the mouth.
      const dMou = Math.max(au - (mwB + 0.02) + 0.6 * (v - (noseTip + 0.04)), noseTip + 0.035 - v, v - (mouthY - 0.005));
      let d: number;
      if (bd.style === 'goatee') {
        d = Math.min(dMou, sdEllipse(u, v - (mouthY + 0.15), mwB * 0.85, 0.16 + bd.length * 0.5));
        d = Math.max(d, beardOval(u, v));
      } else {
        // Full: below a line from the sideburns (ear level) down to the cheeks and under the nose.
        const top = f.eyeY + 0.06 + (noseTip + 0.06 - (f.eyeY + 0.06)) * smooth(f.faceW * 0.95, 0.2, au);
        d = Math.min(dMou, Math.max(beardOval(u, v), top - v));
      }
      if (d > 0.03) return;
      const edge = smooth(0.03, -0.03, d); // feathered outline
      const tex = clamp01(0.3 + 1.1 * (0.6 * vnoise(u * 22, v * 22, seed ^ 0x5555) + 0.4 * vnoise(u * 55, v * 55, seed ^ 0x6666)) - 0.25);
      const fine = vnoise(u * 110, v * 110, seed ^ 0x7777);
      const a = bd.density * edge * (0.55 + 0.45 * tex) * (0.75 + 0.25 * fine);
      const k = 0.75 + 0.5 * fine;
      over(o, cr * k, cg * k, cb * k, a);
    });
  }
}

/** Mouth: lips along a curve (corners lifted when smiling), dark gap with teeth when open. */
function mouth(c: FaceFrame): void {
  const { f, attrs, pu, add, cov, soft, sr, sg, sb, mouthY, mw } = c;
  const curve = attrs.Smiling ? f.smile.curve : f.neutralCurve;
  const ut = f.upperLip * (attrs.Smiling ? 0.8 : 1);
  const lt = f.lowerLip * (attrs.Smiling ? 0.88 : 1);
  const gap = attrs.Mouth_Slightly_Open ? f.open.gap : 0;
  const [lr, lg, lb] = f.lip;
  add(BIT.Smiling | BIT.Mouth_Slightly_Open, -mw - 0.04, mouthY - curve - ut - gap - 0.04, mw + 0.04, mouthY + gap + lt + 0.04,
    (u, v, o) => {
      const x = u / mw;
      const ax = Math.abs(x);
      if (ax > 1.15) return;
      const p = Math.sqrt(Math.max(0, 1 - x * x));
      const line = mouthY - curve * x * x + curve * 0.15; // centre dips a little as corners rise
      const slope = (-2 * curve * x) / mw;
      const n = Math.sqrt(1 + slope * slope);
      const g = gap * Math.pow(p, 0.5);
      const bow = 1 - 0.22 * Math.exp(-((x / 0.13) ** 2)); // Cupid's bow dip
      const topU = line - g / 2 - ut * Math.pow(p, 0.7) * bow;
      const botU = line - g / 2;
      const topL = line + g / 2;
      const botL = line + g / 2 + lt * Math.pow(p, 0.8);
      const dU = Math.max(topU - v, v - botU) / n;
      const dL = Math.max(topL - v, v - botL) / n;
      over(o, lr * 0.85, lg * 0.8, lb * 0.82, cov(dU));
      const hi = 1 + 0.15 * Math.exp(-(((v - (topL + botL) / 2 + lt * 0.15) / (lt * 0.3 + pu)) ** 2));
      over(o, Math.min(1, lr * hi), lg * hi, lb * hi, cov(dL));
      if (g > 0) {
        const dG = Math.max(botU - v, v - topL) / n;
        const aG = cov(dG);
        if (aG > 0) {
          const depth = 0.5 + 0.5 * smooth(botU, topL, v);
          over(o, 0.2 * depth, 0.05 * depth, 0.06 * depth, aG);
          if (f.open.teeth) {
            const dT = Math.max(v - (botU + gap * 0.45), ax - 0.72);
            over(o, 0.93, 0.9, 0.83, aG * soft(dT, 1.2 * pu));
          }
        }
      }
      // Lip seam (closed) / corners: a thin dark line where the lips meet, darker at the corners.
      const seam = Math.abs(v - line) / n - (g > 0 ? g / 2 : attrs.Smiling ? 0.005 : 0.003);
      const aS = (g > 0 ? 0.35 : attrs.Smiling ? 0.9 : 0.75) * soft(seam, 1.2 * pu) * smooth(1.12, 0.95, ax);
      over(o, lr * 0.35, lg * 0.25, lb * 0.27, aS);
      const dc = Math.hypot(ax - 1.02, (v - (line - curve * 0.1)) / 0.7) - 0.035;
      over(o, sr * 0.55, sg * 0.45, sb * 0.45, 0.35 * smooth(0.02, -0.02, dc) * (attrs.Smiling ? 1.3 : 0.8));
    });
}

/** Eyes: white, iris, pupil, catch-light, lid line and crease. */
function eyes(c: FaceFrame): void {
  const { f, pu, add, cov, soft, sr, sg, sb } = c;
  const [ir, ig, ib] = f.iris;
  for (const side of [-1, 1]) {
    const cx = side * f.eyeDX, cy = f.eyeY;
    const ew = f.eyeW, eh = f.eyeH;
    const irR = eh * f.irisR;
    const gx = f.gaze * ew * 0.25;
    add(0, cx - ew * 1.3, cy - eh * 2.2 - ew * 0.2, cx + ew * 1.3, cy + eh * 1.6 + ew * 0.2, (u, v, o) => {
      const lx = side * (u - cx); // + outward
      const ly = v - cy + f.eyeTilt * lx;
      const x = lx / ew;
      const ax = Math.abs(x);
      if (ax > 1.3) return;
      const p = Math.max(0, 1 - x * x);
      const up = x < 1 ? -eh * Math.pow(p, 0.65) : -(x - 1) * eh * 0.6; // outer end flicks up
      const lo = eh * 0.72 * Math.pow(p, 0.85);
      // Crease above the lid.
      const dCr = Math.abs(ly - (up * 1.55 - eh * 0.25)) - 0.004;
      over(o, sr * 0.62, sg * 0.52, sb * 0.5, 0.3 * soft(dCr, 1.2 * pu) * smooth(0.95, 0.5, ax));
      if (ax < 1) {
        const a = cov(Math.max(up - ly, ly - lo));
        if (a > 0) {
          const shadeTop = 0.8 + 0.2 * smooth(up, up + eh * 0.7, ly);
          over(o, 0.93 * shadeTop, 0.91 * shadeTop, 0.87 * shadeTop, a);
          const ri = Math.hypot(lx - side * gx, ly + eh * 0.08); // gaze moves both irises the same way
          const aI = a * cov(ri - irR);
          if (aI > 0) {
            const k = (0.6 + 0.5 * (1 - ri / irR)) * shadeTop;
            over(o, ir * k, ig * k, ib * k, aI);
            over(o, 0.03, 0.025, 0.03, a * cov(ri - irR * 0.42));
            const rh = Math.hypot(lx - side * (gx - irR * 0.35), ly + eh * 0.08 + irR * 0.35); // upper-left
            over(o, 1, 1, 1, 0.85 * a * soft(rh - irR * 0.2, pu));
          }
        }
      }
      // Upper lid line (lashes), thicker towards the outer corner; faint lower lid.
      if (x > -1.02 && x < 1.18) {
        const t = 0.008 + 0.008 * clamp01((x + 1) / 2);
        const dl = Math.abs(ly - up + t * 0.3) - t / 2;
        over(o, 0.08, 0.06, 0.06, 0.92 * soft(dl, pu));
      }
      if (ax < 1) {
        const dlo = Math.abs(ly - lo) - 0.003;
        over(o, sr * 0.55, sg * 0.45, sb * 0.45, 0.35 * soft(dlo, pu));
      }
    });
  }
}

/** Eyebrows: tapered, arched strokes with a little hair texture. */
function eyebrows(c: FaceFrame): void {
  const { f, pu, add, soft, seed } = c;
  const [br, bg, bb] = f.browColor;
  for (const side of [-1, 1]) {
    const xin = f.eyeDX - f.eyeW * 0.95, xout = f.eyeDX + f.eyeW * 1.3;
    const by = f.eyeY - f.browGap;
    add(0, side > 0 ? xin - 0.02 : -xout - 0.02, by - f.browArch - 0.08, side > 0 ? xout + 0.02 : -xin + 0.02, by + 0.08,
      (u, v, o) => {
        const su = side * u;
        const t = (su - xin) / (xout - xin);
        if (t < -0.1 || t > 1.1) return;
        const tc = clamp01(t);
        const vc = by - f.browArch * 4 * tc * (1 - tc) + f.browSlope * (tc - 0.3) + 0.012 * tc * tc;
        const th = f.browThick * (1 - 0.55 * tc);
        const d = Math.max(Math.abs(v - vc) - th / 2, (xin - su) * 1.0, su - xout);
        const a = soft(d, 1.1 * pu);
        if (a <= 0) return;
        const tex = 0.78 + 0.22 * vnoise(u * 90, v * 30, seed ^ 0x8888);
        over(o, br, bg, bb, 0.9 * a * tex * smooth(-0.12, 0.15, t));
      });
  }
}

/** Hair in front: cap minus the skin window, side drapes for long hair, thin fringe when bald. */
function hairInFront(c: FaceFrame): void {
  const { f, pu, add, soft, fcY, chinY, headTop, seed, vol, capSd, crownX, crownY, hairShade, windowSd } = c;
  const sideY = f.hairStyle === 'long' ? chinY - 0.1 : f.hairStyle === 'bald' ? f.eyeY + 0.08 : f.eyeY + 0.03;
  const drapeW = f.faceW + vol + 0.07;
  const edge = 0.006 + 2 * pu; // beyond this the ragged-edge noise cannot bring a pixel back in
  add(0, -f.faceW - vol - 0.1, headTop - vol - 0.05, f.faceW + vol + 0.1, sideY + 0.1, (u, v, o) => {
    if (v - sideY > edge) return;
    let d = capSd(u, v);
    if (f.hairStyle === 'long') d = Math.min(d, sdRoundBox(u, v - (fcY + sideY) / 2, drapeW, (sideY - fcY) / 2 + 0.05, 0.1));
    if (d > edge) return;
    // Side cut: level with the ears, curving up towards the back of the head (no flat shelf).
    d = Math.max(d, -windowSd(u, v), v - sideY + (f.hairStyle === 'long' ? 0 : 0.8 * Math.max(0, Math.abs(u) - f.faceW * 0.92)));
    if (f.hairStyle === 'bald') d = Math.max(d, fcY - 0.6 - v);
    if (d > edge) return;
    if (d > -edge) d += 0.012 * (vnoise(Math.atan2(v - crownY, u - crownX) * 40, 1.3, seed ^ 0x9999) - 0.5); // ragged edge
    const a = soft(d, 1.3 * pu) * (f.hairStyle === 'bald' ? 0.8 : 1);
    if (a <= 0) return;
    const depth = 0.82 + 0.18 * smooth(0, 0.06, -d);
    hairShade(u, v, o, a, depth);
  });
}

/** Eyeglasses: tinted lenses, frames, bridge, temples to the ears. */
function eyeglasses(c: FaceFrame): void {
  const { f, attrs, add, cov } = c;
  if (attrs.Eyeglasses) {
    const gl = f.glasses;
    const gx = Math.max(f.eyeDX + 0.01, gl.lensW + 0.05);
    const gy = f.eyeY + 0.008;
    const rad = gl.round * Math.min(gl.lensW, gl.lensH);
    const [fr, fg, fb] = gl.frameColor;
    const [tr, tg, tb] = gl.lensTint;
    const ft = gl.frame;
    for (const side of [-1, 1]) {
      const cx = side * gx;
      const tx0 = side * (gx + gl.lensW), ty0 = gy - gl.lensH * 0.35;
      const tx1 = side * (f.faceW + 0.03), ty1 = f.eyeY + 0.02;
      add(BIT.Eyeglasses, Math.min(cx - gl.lensW, tx1) - ft, gy - gl.lensH - ft, Math.max(cx + gl.lensW, tx1) + ft, gy + gl.lensH + ft,
        (u, v, o) => {
          const lx = u - cx, ly = v - gy;
          // Slightly narrower at the bottom inner corner, like most frames.
          const d = sdRoundBox(lx, ly, gl.lensW - 0.012 * clamp01(ly / gl.lensH) * (side * lx < 0 ? 1 : 0), gl.lensH, rad);
          const aL = cov(d);
          if (aL > 0) {
            over(o, tr * (gl.sun ? 0.25 : 1), tg * (gl.sun ? 0.25 : 1), tb * (gl.sun ? 0.25 : 1), gl.tintAlpha * aL);
            const tt = (lx * 0.7 - ly * 0.7) / gl.lensW; // diagonal glare streak
            over(o, 1, 1, 1, (gl.sun ? 0.3 : 0.2) * aL * Math.exp(-(((tt + 0.35) / 0.13) ** 2)));
          }
          const shadeF = 0.85 + 0.3 * smooth(gl.lensH, -gl.lensH, ly);
          over(o, fr * shadeF, fg * shadeF, fb * shadeF, cov(Math.abs(d) - ft / 2));
          const dT = sdSegment(u, v, tx0, ty0, tx1, ty1) - ft * 0.4;
          over(o, fr * 0.85, fg * 0.85, fb * 0.85, cov(dT));
        });
    }
    const bx = gx - gl.lensW + ft * 0.3;
    const byy = gy - gl.lensH * 0.35;
    add(BIT.Eyeglasses, -bx - ft, byy - 0.05, bx + ft, byy + ft + 0.01, (u, v, o) => {
      const t = u / bx;
      if (Math.abs(t) > 1.05) return;
      const vc = byy - 0.022 * (1 - t * t);
      const d = Math.abs(v - vc) - ft * 0.42;
      over(o, fr, fg, fb, cov(d));
    });
  }
}

// ─── rasterisation ──────────────────────────────────────────────────────────────────────────────────────

/**
 * The attribute-independent part of a render: background plus the leading layers that no switch touches
 * (everything up to the nose; buildLayers orders layers so). Identical for a face and any flipped version,
 * so mask renders start from it instead of recompositing. Covers the whole canvas.
 */
interface Prefix {
  buf: Float32Array;
  count: number; // layers composited into buf
}

/** Index of the first layer that depends on some switch. */
function prefixLength(scene: Scene): number {
  let n = 0;
  while (n < scene.layers.length && scene.layers[n]!.tags === 0) n++;
  return n;
}

/** Background + layers[from, to) composited into `buf`, which covers the pixel box [ex0, ex1) × [ey0, ey1). */
function composite(scene: Scene, buf: Float32Array, ex0: number, ey0: number, ex1: number, ey1: number, from: number, to: number): void {
  const ew = ex1 - ex0;
  if (from === 0) {
    // Background: two-colour linear gradient in view coordinates, darker towards the corners.
    const f = scene.face, view = scene.view, k = 2 / view.width;
    const ca = Math.cos(f.bgAngle), sa = Math.sin(f.bgAngle);
    const [a0, a1, a2] = f.bgA, [b0, b1, b2] = f.bgB;
    for (let py = ey0; py < ey1; py++) {
      const Y = (py + 0.5 - view.y) * k - 1;
      for (let px = ex0; px < ex1; px++) {
        const X = (px + 0.5 - view.x) * k - 1;
        const t = clamp01(0.5 + 0.45 * (X * ca + Y * sa));
        const vig = 1 - f.vignette * 0.5 * (X * X + Y * Y);
        const i = ((py - ey0) * ew + (px - ex0)) * 3;
        buf[i] = (a0 + (b0 - a0) * t) * vig;
        buf[i + 1] = (a1 + (b1 - a1) * t) * vig;
        buf[i + 2] = (a2 + (b2 - a2) * t) * vig;
      }
    }
  }
  const o = new Float64Array(4);
  const { au, bu, cu, av, bv, cv } = scene;
  for (let li = from; li < to; li++) {
    const L = scene.layers[li]!;
    const x0 = Math.max(L.x0, ex0), x1 = Math.min(L.x1, ex1);
    const y0 = Math.max(L.y0, ey0), y1 = Math.min(L.y1, ey1);
    if (x0 >= x1 || y0 >= y1) continue;
    const shade = L.shade;
    for (let py = y0; py < y1; py++) {
      let u = au * x0 + bu * py + cu;
      let v = av * x0 + bv * py + cv;
      let i = ((py - ey0) * ew + (x0 - ex0)) * 3;
      for (let px = x0; px < x1; px++, u += au, v += av, i += 3) {
        o[0] = 0; o[1] = 0; o[2] = 0; o[3] = 0;
        shade(u, v, o);
        const a = o[3]!;
        if (a <= 0) continue;
        const q = 1 - a;
        buf[i] = buf[i]! * q + o[0]!;
        buf[i + 1] = buf[i + 1]! * q + o[1]!;
        buf[i + 2] = buf[i + 2]! * q + o[2]!;
      }
    }
  }
}

/**
 * Renders the final 8-bit RGB pixels of `rect` (exactly as in a full render): composites every layer over
 * the background in rect ⊕ blur radius, lights, blurs, adds pixel noise, quantises. Pixels outside the
 * canvas never enter: the blur clamps at canvas edges, the same in any sub-render.
 * With `prefix`, compositing starts from that snapshot (same face, any switches); with `keepPrefix`, a full-
 * canvas render hands back its own snapshot.
 */
function renderRect(scene: Scene, rect: Rect, prefix?: Prefix, keepPrefix?: (p: Prefix) => void): Uint8Array {
  const { face: f, width: W, height: H, view, blurR } = scene;
  const ex0 = Math.max(0, rect.x - blurR), ey0 = Math.max(0, rect.y - blurR);
  const ex1 = Math.min(W, rect.x + rect.width + blurR), ey1 = Math.min(H, rect.y + rect.height + blurR);
  const ew = ex1 - ex0, eh = ey1 - ey0;
  const buf = new Float32Array(ew * eh * 3);
  const k = 2 / view.width;
  const pre = prefixLength(scene);
  if (prefix) {
    if (prefix.count !== pre) throw new Error('renderRect: prefix snapshot from a different layer stack');
    for (let y = ey0; y < ey1; y++) buf.set(prefix.buf.subarray((y * W + ex0) * 3, (y * W + ex1) * 3), (y - ey0) * ew * 3);
  } else {
    composite(scene, buf, ex0, ey0, ex1, ey1, 0, pre);
    if (keepPrefix) keepPrefix({ buf: buf.slice(), count: pre });
  }
  composite(scene, buf, ex0, ey0, ex1, ey1, pre, scene.layers.length);

  // Separable Gaussian blur (camera softness), clamped at the rendered area's edges (= the canvas edges
  // wherever it matters: other edges are ≥ blurR away from every output pixel).
  if (blurR > 0) {
    const kern = new Float32Array(2 * blurR + 1);
    let sum = 0;
    for (let j = -blurR; j <= blurR; j++) sum += kern[j + blurR] = Math.exp(-(j * j) / (2 * scene.blurSigma ** 2));
    for (let j = 0; j < kern.length; j++) kern[j] = kern[j]! / sum;
    const tmp = new Float32Array(buf.length);
    blurPass(buf, tmp, ew, eh, 3, ew * 3, kern, blurR); // columns (along y)
    blurPass(tmp, buf, eh, ew, ew * 3, 3, kern, blurR); // rows (along x)
  }

  // Lighting (directional gradient across the view, ambient level, colour cast), then pixel noise from a
  // hash of (pixel, channel) — ≈ Gaussian as a sum of four uniform bytes (mean 510, sd √(4·(256²−1)/12)
  // ≈ 147.8), identical in every render of this face — then quantisation.
  const lc = Math.cos(f.lightAngle) * f.lightStrength, ls = Math.sin(f.lightAngle) * f.lightStrength;
  const [t0, t1, t2] = f.tint;
  const out = new Uint8Array(rect.width * rect.height * 3);
  const ns = f.noise / 147.8;
  const nseed = hash32(f.seed ^ 0xabcdef);
  for (let y = 0; y < rect.height; y++) {
    const py = rect.y + y;
    const Y = (py + 0.5 - view.y) * k - 1;
    for (let x = 0; x < rect.width; x++) {
      const px = rect.x + x;
      const X = (px + 0.5 - view.x) * k - 1;
      const L = f.ambient * (1 + X * lc + Y * ls);
      const i = ((py - ey0) * ew + (px - ex0)) * 3;
      const hp = hash32((Math.imul(py, W) + px) ^ nseed);
      for (let c = 0; c < 3; c++) {
        const h = hash32(hp + c * 0x9e3779b9);
        const n = (h & 255) + ((h >>> 8) & 255) + ((h >>> 16) & 255) + (h >>> 24) - 510;
        const val = Math.round((buf[i + c]! * L * (c === 0 ? t0 : c === 1 ? t1 : t2) + n * ns) * 255);
        out[(y * rect.width + x) * 3 + c] = val < 0 ? 0 : val > 255 ? 255 : val;
      }
    }
  }
  return out;
}

/**
 * 1-D convolution of `lines` lines of `len` RGB pixels (pixel step `step`, line step `lineStep`, in floats)
 * with a symmetric kernel of radius R, clamping at the line ends. The interior runs without clamps.
 */
function blurPass(src: Float32Array, dst: Float32Array, lines: number, len: number, lineStep: number, step: number, kern: Float32Array, R: number): void {
  for (let l = 0; l < lines; l++) {
    const base = l * lineStep;
    for (let x = 0; x < len; x++) {
      let r = 0, g = 0, b = 0;
      if (x >= R && x + R < len) {
        let i = base + (x - R) * step;
        for (let j = 0; j <= 2 * R; j++, i += step) {
          const w = kern[j]!;
          r += w * src[i]!; g += w * src[i + 1]!; b += w * src[i + 2]!;
        }
      } else {
        for (let j = -R; j <= R; j++) {
          const xx = x + j < 0 ? 0 : x + j >= len ? len - 1 : x + j;
          const w = kern[j + R]!;
          const i = base + xx * step;
          r += w * src[i]!; g += w * src[i + 1]!; b += w * src[i + 2]!;
        }
      }
      const o = base + x * step;
      dst[o] = r; dst[o + 1] = g; dst[o + 2] = b;
    }
  }
}

/** Renders the face with the given switches: an RGB Image8 of target.width × target.height. */
export function renderFace(face: FaceParams, attrs: FaceAttributes, target: RenderTarget): Image8 {
  const scene = makeScene(face, attrs, target);
  const data = renderRect(scene, { x: 0, y: 0, width: target.width, height: target.height });
  return { width: target.width, height: target.height, channels: 3, data };
}

export interface FaceWithMasks {
  image: Image8;
  /** Per attribute: 1-channel, 255 inside the region that attribute changes, 0 elsewhere. */
  masks: Record<SaganAttribute, Image8>;
}

export interface MaskOptions {
  /** Dilation radius in pixels of the raw difference set (square structuring element); default 1. */
  maskDilate?: number;
  /** Only these attributes get masks (others come back empty); default all four. */
  attributes?: readonly SaganAttribute[];
}

/**
 * Renders the face and, for each attribute A, its region mask: pixels whose RGB differs between this face
 * and the same face with A flipped, dilated by `maskDilate` (so the blur's faint tails and anti-aliased
 * edges are safely inside). Cost: the flipped face is rendered only inside the bounding boxes of the layers
 * that depend on A, in either state.
 */
export function renderFaceWithMasks(
  face: FaceParams,
  attrs: FaceAttributes,
  target: RenderTarget,
  opts: MaskOptions = {},
): FaceWithMasks {
  const { width: W, height: H } = target;
  const scene = makeScene(face, attrs, target);
  let prefix: Prefix | undefined;
  const full = renderRect(scene, { x: 0, y: 0, width: W, height: H }, undefined, (p) => (prefix = p));
  const image: Image8 = { width: W, height: H, channels: 3, data: full };
  const dil = opts.maskDilate ?? 1;
  const want = opts.attributes ?? SAGAN_ATTRIBUTES;
  const masks = {} as Record<SaganAttribute, Image8>;
  for (const a of SAGAN_ATTRIBUTES) {
    const m = new Uint8Array(W * H);
    masks[a] = { width: W, height: H, channels: 1, data: m };
    if (!want.includes(a)) continue;
    const flipped = makeScene(face, { ...attrs, [a]: !attrs[a] }, target);
    let x0 = W, y0 = H, x1 = 0, y1 = 0;
    for (const L of [...scene.layers, ...flipped.layers]) {
      if (!(L.tags & BIT[a])) continue;
      x0 = Math.min(x0, L.x0); y0 = Math.min(y0, L.y0);
      x1 = Math.max(x1, L.x1); y1 = Math.max(y1, L.y1);
    }
    const R = scene.blurR; // differences spread by at most the blur radius
    x0 = Math.max(0, x0 - R); y0 = Math.max(0, y0 - R);
    x1 = Math.min(W, x1 + R); y1 = Math.min(H, y1 + R);
    if (x1 <= x0 || y1 <= y0) continue;
    const rect = { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
    const other = renderRect(flipped, rect, prefix);
    const raw = new Uint8Array(W * H);
    for (let y = 0; y < rect.height; y++) {
      for (let x = 0; x < rect.width; x++) {
        const o = (y * rect.width + x) * 3;
        const p = ((y + y0) * W + x + x0) * 3;
        if (other[o] !== image.data[p] || other[o + 1] !== image.data[p + 1] || other[o + 2] !== image.data[p + 2]) {
          raw[(y + y0) * W + x + x0] = 255;
        }
      }
    }
    dilate(raw, m, W, H, dil);
  }
  return { image, masks };
}

/** Binary dilation with a (2r+1)² square, separably (max over rows, then over columns). */
function dilate(src: Uint8Array, dst: Uint8Array, W: number, H: number, r: number): void {
  if (r <= 0) {
    dst.set(src);
    return;
  }
  const tmp = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      if (!src[y * W + x]) continue;
      for (let j = Math.max(0, x - r); j <= Math.min(W - 1, x + r); j++) tmp[y * W + j] = 255;
    }
  }
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      if (!tmp[y * W + x]) continue;
      for (let j = Math.max(0, y - r); j <= Math.min(H - 1, y + r); j++) dst[j * W + x] = 255;
    }
  }
}

/**
 * CelebA-style labels implied by a face: the four switches, plus the facts the renderer knows exactly
 * (hair colour, Bald, Bangs, Goatee). Everything else is −1 (not rendered).
 */
export function celebaLabels(face: FaceParams, attrs: FaceAttributes): Partial<Record<string, 1 | -1>> {
  const pm = (b: boolean): 1 | -1 => (b ? 1 : -1);
  return {
    Eyeglasses: pm(attrs.Eyeglasses),
    Mouth_Slightly_Open: pm(attrs.Mouth_Slightly_Open),
    No_Beard: pm(attrs.No_Beard),
    Smiling: pm(attrs.Smiling),
    Goatee: pm(!attrs.No_Beard && face.beard.style === 'goatee'),
    Bald: pm(face.hairStyle === 'bald'),
    Bangs: pm(face.hairStyle === 'bangs'),
    Black_Hair: pm(face.hairStyle !== 'bald' && face.hairColor === 'black'),
    Brown_Hair: pm(face.hairStyle !== 'bald' && (face.hairColor === 'brown' || face.hairColor === 'dark_brown')),
    Blond_Hair: pm(face.hairStyle !== 'bald' && face.hairColor === 'blond'),
    Gray_Hair: pm(face.hairStyle !== 'bald' && face.hairColor === 'gray'),
  };
}
