/**
 * @file SaGAN's networks (Zhang et al., ECCV 2018; layer lists in ../shared/sagan-spec.md):
 *  - AMN(x, c): how to edit — RGB + the target attribute tiled as a 4th channel → RGB in [−1, 1].
 *  - SAN(x): where to edit — the same trunk on RGB alone → a 1-channel mask in [0, 1].
 *  - Generator: G(x, c) = b·AMN(x, c) + (1 − b)·x with b = SAN(x); returns the image and the mask.
 *  - Discriminator: conv 4×4 s2 + LeakyReLU(0.2) stages until the map is 2×2, then a 3×3 critic head
 *    (src, a 2×2 map of scores) and a classification head covering the map (cls, one logit).
 * Parameter names equal the PyTorch port in scripts/fixtures/sagan_torch.py, so checkpoints interchange.
 */
import {
  Tensor, add, concat, mul, sub, reshape, log, tanh,
  Module, Sequential, Conv2d, parameter, zeros, ConvTranspose2d, InstanceNorm2d, ReLU, LeakyReLU, Tanh, Sigmoid, type Init,
} from '../engine/index.ts';
import { tileChannel } from './tile.ts';

export interface ModelConfig {
  /** Image side (a power of two, ≥ 16). */
  size: number;
  /** Base width w: the trunk runs w, 2w, 4w, 8w channels; D runs w, 2w, … */
  width: number;
  /** Residual blocks at the bottleneck. */
  nRes: number;
  /** false: the no-attention ablation, G(x, c) = AMN(x, c) (StarGAN-like); no SAN. */
  attention: boolean;
  /**
   * Down-sampling stages of AMN and SAN (absent: the paper's 3). Not in the paper's layer list: at
   * 32² its 3 stages leave a 4×4 bottleneck through which the AMN cannot copy the eyes under a pair of
   * glasses, and with the mask open a removal repaints them blurred (docs/training-recipes.md).
   */
  down?: number;
  /**
   * Not in the paper (absent: false): the AMN predicts the change, AMN(x, c) = tanh(atanh(0.99·x) + f(x, c)),
   * instead of the whole image tanh(f(x, c)). The paper's AMN must rebuild every pixel an open mask lets
   * through from instance-normalised features — at 32² off by ~0.14–0.2 inside the region even for its own
   * label (sagan eval: AMN copy error), which a removal paints over the face it should restore.
   * Same parameters and names as the paper's AMN.
   */
  residual?: boolean;
  /**
   * Not in the paper (absent: false): besides the input plane, c shifts every trunk-level instance norm of
   * the AMN, IN(h) + c·δ per channel (δ starts at 0; see CondShift).
   */
  condNorm?: boolean;
  /**
   * Not in the paper (absent: false; needs `residual`): the AMN's last conv starts at zero, so AMN(x, c) = 0.99·x
   * at iteration 0 and the edit grows from nothing. From the default init, the 64² residual AMN painted
   * blobs over hair and background that the mask closed over; zero-initialised, it painted none and the
   * mask sat on the mouth (docs/training-recipes.md).
   */
  zeroInit?: boolean;
}

/** The paper's down-sampling stages of AMN and SAN. */
export const PAPER_DOWN = 3;

/** The generator's down-sampling stages: the config's, or the paper's. */
export const downStages = (c: ModelConfig): number => c.down ?? PAPER_DOWN;

export const PAPER_CONFIG: ModelConfig = { size: 128, width: 32, nRes: 4, attention: true };

export function checkModelConfig(c: ModelConfig): void {
  if (!Number.isInteger(Math.log2(c.size)) || c.size < 16) throw new Error(`model: size ${c.size} must be a power of two ≥ 16 (D halves it down to 2×2)`);
  if (!Number.isInteger(c.width) || c.width < 1) throw new Error(`model: width ${c.width} must be a positive integer`);
  if (!Number.isInteger(c.nRes) || c.nRes < 0) throw new Error(`model: nRes ${c.nRes} must be a non-negative integer`);
  for (const f of ['residual', 'condNorm', 'zeroInit'] as const) if (c[f] !== undefined && typeof c[f] !== 'boolean') throw new Error(`model: ${f} must be true or false, got ${String(c[f])}`);
  if (c.zeroInit && !c.residual) throw new Error('model: zeroInit needs residual (a zero last conv makes the paper\'s AMN output grey, tanh(0) = 0)');
  const d = downStages(c);
  if (!Number.isInteger(d) || d < 0 || 2 ** d > c.size / 2) throw new Error(`model: down ${d} must be an integer from 0 to ${Math.log2(c.size) - 1} (the bottleneck ${c.size}/2^down must stay ≥ 2×2)`);
}

/** x + (conv3 → IN → ReLU → conv3 → IN)(x). */
export class ResidualBlock extends Module {
  readonly main: Sequential;
  constructor(c: number) {
    super();
    this.main = this.registerModule('main', new Sequential(
      new Conv2d(c, c, 3, { padding: 1 }), new InstanceNorm2d(c), new ReLU(),
      new Conv2d(c, c, 3, { padding: 1 }), new InstanceNorm2d(c),
    ));
  }
  forward(x: Tensor): Tensor {
    return add(x, this.main.call(x));
  }
}

/**
 * Not in the paper: adds c·δ per channel (δ a parameter starting at 0). The paper gives the AMN c only as
 * a constant 4th input plane; the instance norm after the first conv subtracts a constant plane's
 * contribution everywhere but the zero-padded border, so c reaches the interior only through that border
 * and what the layers below make of it. After the norm nothing removes the shift, and the ReLU after it
 * makes it vary with the features, so the layers below see c everywhere. (Measured, docs/training-recipes.md:
 * the 32² AMNs learnt to carry c inward without it; the 64² ones ignored c, with it or without.)
 */
export class CondShift extends Module<[Tensor, Tensor]> {
  readonly delta: Tensor;
  constructor(readonly channels: number) {
    super();
    this.delta = this.registerParameter('delta', parameter(zeros([channels])));
  }
  /** h [N,C,H,W], c [N] → h + c·δ. */
  forward(h: Tensor, c: Tensor): Tensor {
    return add(h, mul(reshape(c, [c.shape[0], 1, 1, 1]), reshape(this.delta, [1, this.channels, 1, 1])));
  }
}

/**
 * The layer list AMN and SAN share: conv7 → down × (conv4 s2) → residual blocks → down × (convT4 s2) → conv7 → last;
 * with `cond`, a CondShift after each of the trunk's own norms (conv7's, the downs', the ups').
 */
function trunk(inCh: number, outCh: number, w: number, nRes: number, down: number, last: Module | null, cond = false): Sequential {
  // A Sequential holds the shifts (their parameters' names follow the layer order); conditioned() calls them with c.
  const norm = (c: number): Module[] => (cond ? [new InstanceNorm2d(c), new CondShift(c) as unknown as Module, new ReLU()] : [new InstanceNorm2d(c), new ReLU()]);
  const layers: Module[] = [new Conv2d(inCh, w, 7, { padding: 3 }), ...norm(w)];
  let c = w;
  for (let i = 0; i < down; i++, c *= 2) layers.push(new Conv2d(c, 2 * c, 4, { stride: 2, padding: 1 }), ...norm(2 * c));
  for (let i = 0; i < nRes; i++) layers.push(new ResidualBlock(c));
  for (let i = 0; i < down; i++, c /= 2) layers.push(new ConvTranspose2d(c, c / 2, 4, { stride: 2, padding: 1 }), ...norm(c / 2));
  layers.push(new Conv2d(c, outCh, 7, { padding: 3 }));
  if (last) layers.push(last);
  return new Sequential(...layers);
}

/** A trunk's layers in order with c given to its CondShifts (Sequential passes one input; no IN+ReLU fusion here). */
function conditioned(main: Sequential, x: Tensor, c: Tensor): Tensor {
  let h = x;
  for (let i = 0; i < main.length; i++) {
    const m = main.at(i);
    h = m instanceof CondShift ? m.call(h, c) : (m as Module<[Tensor]>).call(h);
  }
  return h;
}

/** Shrinks x before atanh so that pixels at ±1 stay finite (atanh(±0.99) ≈ ±2.65). */
const RESIDUAL_SHRINK = 0.99;

/**
 * Attribute manipulation network: edits the whole image towards attribute value c ∈ {0, 1}; with
 * `residual`, predicts the change in tanh's pre-activation: tanh(atanh(0.99·x) + f) = 0.99·x when f = 0.
 */
export class AMN extends Module<[Tensor, Tensor]> {
  readonly main: Sequential;
  constructor(w: number, nRes: number, down = PAPER_DOWN, readonly residual = false, readonly condNorm = false, zeroInit = false) {
    super();
    this.main = this.registerModule('main', trunk(4, 3, w, nRes, down, residual ? null : new Tanh(), condNorm));
    // Zeroed after the default init, not drawn otherwise: every later draw (the SAN, D, the batches) stays as without it.
    if (zeroInit) {
      const last = this.main.at(-1);
      last.loadStateDict(Object.fromEntries(Object.entries(last.stateDict()).map(([k, v]) =>
        [k, { dtype: 'F32' as const, shape: [...v.shape], data: new Float32Array(v.shape.reduce((a, b) => a * b, 1)) }])));
    }
  }
  /** x [N,3,H,W], c [N] → [N,3,H,W]. */
  forward(x: Tensor, c: Tensor): Tensor {
    const input = concat([x, tileChannel(c, x.shape[2], x.shape[3])], 1);
    const f = this.condNorm ? conditioned(this.main, input, c) : this.main.call(input);
    if (!this.residual) return f;
    // atanh(u) = ½·(log(1 + u) − log(1 − u)), u = 0.99·x ∈ [−0.99, 0.99].
    const u = mul(x, RESIDUAL_SHRINK);
    return tanh(add(mul(sub(log(add(1, u)), log(sub(1, u))), 0.5), f));
  }
}

/** Spatial attention network: a soft mask of where the attribute lives; it never sees c. */
export class SAN extends Module {
  readonly main: Sequential;
  constructor(w: number, nRes: number, down = PAPER_DOWN) {
    super();
    this.main = this.registerModule('main', trunk(3, 1, w, nRes, down, new Sigmoid()));
  }
  forward(x: Tensor): Tensor {
    return this.main.call(x);
  }
}

export interface GeneratorOutput {
  image: Tensor;
  /** The attention mask b [N,1,H,W]; null for the no-attention ablation. */
  mask: Tensor | null;
  /** AMN(x, c), the edit before the mask blends it in (the image itself without attention). */
  edit: Tensor;
}

export class Generator extends Module<[Tensor, Tensor], GeneratorOutput> {
  readonly amn: AMN;
  readonly san: SAN | null;
  constructor(readonly config: ModelConfig) {
    super();
    checkModelConfig(config);
    const down = downStages(config);
    this.amn = this.registerModule('amn', new AMN(config.width, config.nRes, down, config.residual ?? false, config.condNorm ?? false, config.zeroInit ?? false));
    this.san = config.attention ? this.registerModule('san', new SAN(config.width, config.nRes, down)) : null;
  }
  /** G(x, c) = b·AMN(x, c) + (1 − b)·x, b = SAN(x); the ablation returns AMN(x, c). */
  forward(x: Tensor, c: Tensor): GeneratorOutput {
    checkInput('Generator', x, this.config.size, c);
    const y = this.amn.call(x, c);
    if (!this.san) return { image: y, mask: null, edit: y };
    const b = this.san.call(x);
    // b·y + (1 − b)·x = x + b·(y − x): one product instead of two.
    return { image: add(x, mul(b, sub(y, x))), mask: b, edit: y };
  }
}

export interface DiscriminatorOutput {
  /** Critic scores [N,1,2,2]. */
  src: Tensor;
  /** Attribute logits [N]. */
  cls: Tensor;
}

export class Discriminator extends Module<[Tensor], DiscriminatorOutput> {
  readonly main: Sequential;
  readonly src: Conv2d;
  readonly cls: Conv2d;
  constructor(readonly config: ModelConfig, init: Init = { normal: 0.02 }) {
    super();
    checkModelConfig(config);
    const layers: Module[] = [];
    let cin = 3, c = config.width, s = config.size;
    for (; s > 2; s /= 2, cin = c, c *= 2) layers.push(new Conv2d(cin, c, 4, { stride: 2, padding: 1, init }), new LeakyReLU(0.2));
    this.main = this.registerModule('main', new Sequential(...layers));
    this.src = this.registerModule('src', new Conv2d(cin, 1, 3, { padding: 1, init }));
    this.cls = this.registerModule('cls', new Conv2d(cin, 1, s, { init }));
  }
  forward(x: Tensor): DiscriminatorOutput {
    checkInput('Discriminator', x, this.config.size);
    const h = this.main.call(x);
    return { src: this.src.call(h), cls: reshape(this.cls.call(h), [x.shape[0]]) };
  }
}

function checkInput(who: string, x: Tensor, size: number, c?: Tensor): void {
  const [n, ch, hh, ww] = x.shape;
  if (x.ndim !== 4 || ch !== 3 || hh !== size || ww !== size) {
    throw new Error(`${who}: expected images [N, 3, ${size}, ${size}], got [${x.shape.join(', ')}]. Fix: resize inputs to the model size.`);
  }
  if (c && (c.ndim !== 1 || c.shape[0] !== n)) throw new Error(`${who}: expected attribute values [${n}], got [${c.shape.join(', ')}]`);
}
