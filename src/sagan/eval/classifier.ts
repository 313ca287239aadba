/**
 * @file The attribute classifier that judges edits (never used in training SaGAN): 4 × (conv 4×4 s2 +
 * LeakyReLU(0.2)) taking S² to (S/16)², widths w, 2w, 4w, 8w, then a conv head covering the map → one
 * logit (σ(z) = P(attribute present)). Trained with BCE-with-logits and Adam on the training split; saved
 * as safetensors with metadata format 'sagan-webgpu/classifier/1' and its config (including its own
 * test accuracy).
 */
import { Tensor, tensor, tidy, keep, noGrad, grad, readAll, reshape, manualSeed } from '../../engine/index.ts';
import { Module, Sequential, Conv2d, LeakyReLU, Adam, saveSafetensors, parseSafetensors } from '../../engine/index.ts';
import { bceWithLogits } from '../losses.ts';
import type { Batch, BatchSource } from '../batches.ts';
import { binaryAccuracy } from './metrics.ts';

export const CLASSIFIER_FORMAT = 'sagan-webgpu/classifier/1';

export interface ClassifierConfig {
  /** Image side: a power of two ≥ 16 (four stride-2 convs). */
  size: number;
  /** Base width w: the convs run w, 2w, 4w, 8w channels. */
  width: number;
}

export function checkClassifierConfig(c: ClassifierConfig): void {
  if (!Number.isInteger(Math.log2(c.size)) || c.size < 16) throw new Error(`classifier: size ${c.size} must be a power of two ≥ 16 (four stride-2 convs)`);
  if (!Number.isInteger(c.width) || c.width < 1) throw new Error(`classifier: width ${c.width} must be a positive integer`);
}

export class AttributeClassifier extends Module {
  readonly main: Sequential;
  readonly head: Conv2d;
  constructor(readonly config: ClassifierConfig) {
    super();
    checkClassifierConfig(config);
    const layers: Module[] = [];
    let cin = 3;
    for (let i = 0, c = config.width; i < 4; i++, cin = c, c *= 2) layers.push(new Conv2d(cin, c, 4, { stride: 2, padding: 1 }), new LeakyReLU(0.2));
    this.main = this.registerModule('main', new Sequential(...layers));
    // Four stride-2 convs (k 4, p 1) halve the side exactly: S → S/16; the head covers that map.
    this.head = this.registerModule('head', new Conv2d(cin, 1, config.size / 16));
  }
  /** x [N, 3, S, S] in [−1, 1] → logits [N]. */
  forward(x: Tensor): Tensor {
    const S = this.config.size;
    if (x.ndim !== 4 || x.shape[1] !== 3 || x.shape[2] !== S || x.shape[3] !== S) {
      throw new Error(`AttributeClassifier: expected images [N, 3, ${S}, ${S}], got [${x.shape.join(', ')}]`);
    }
    return reshape(this.head.call(this.main.call(x)), [x.shape[0]]);
  }
}

/** Logits of a batch of n images (one readback). */
export async function classifierLogits(C: AttributeClassifier, x: Float32Array, n: number): Promise<Float32Array> {
  const S = C.config.size;
  const z = noGrad(() => tidy(() => C.call(tensor(x, [n, 3, S, S]))));
  const [out] = await readAll([z]);
  z.dispose();
  return out;
}

export interface ClassifierTest {
  n: number;
  positives: number;
  /** Share of correct decisions (logit > 0 ⇔ label 1). */
  accuracy: number;
  /** Accuracy on the positives (true-positive rate) and on the negatives (true-negative rate). */
  accuracyPositive: number;
  accuracyNegative: number;
}

/** Accuracy of logits against 0/1 labels, overall and per class. */
export function classifierTest(logits: Float32Array, labels: Float32Array): ClassifierTest {
  const pos = [...labels.keys()].filter((i) => labels[i] >= 0.5);
  const neg = [...labels.keys()].filter((i) => labels[i] < 0.5);
  const pick = (idx: number[], a: Float32Array) => Float32Array.from(idx, (i) => a[i]);
  return {
    n: labels.length,
    positives: pos.length,
    accuracy: binaryAccuracy(logits, labels),
    accuracyPositive: binaryAccuracy(pick(pos, logits), pick(pos, labels)),
    accuracyNegative: binaryAccuracy(pick(neg, logits), pick(neg, labels)),
  };
}

/** Runs the classifier over batches and scores it. */
export async function testClassifier(C: AttributeClassifier, batches: Iterable<Promise<Batch>> | AsyncIterable<Batch>): Promise<ClassifierTest> {
  const logits: number[] = [], labels: number[] = [];
  for await (const b of batches) {
    logits.push(...(await classifierLogits(C, b.images, b.n)));
    labels.push(...b.labels);
  }
  return classifierTest(Float32Array.from(logits), Float32Array.from(labels));
}

export interface ClassifierTraining {
  steps: number;
  lr: number;
  seed: number;
  /** Read the loss back every this many steps (one readback for the window). */
  logEvery: number;
}

/**
 * Trains a fresh classifier on batches k = 0 … steps−1 of `data` (BCE-with-logits, Adam with betas
 * 0.9, 0.999). `onLog(step, meanLoss)` gets the mean loss of each log window.
 */
export async function trainClassifier(config: ClassifierConfig, data: BatchSource, t: ClassifierTraining,
  onLog?: (step: number, loss: number) => void): Promise<AttributeClassifier> {
  if (data.size !== config.size) throw new Error(`classifier: data is ${data.size}² but the classifier is ${config.size}²`);
  manualSeed(t.seed);
  const C = new AttributeClassifier(config);
  const params = C.parameters();
  const opt = new Adam(params, { lr: t.lr });
  let pending: Tensor[] = [];
  const S = config.size;
  for (let step = 1; step <= t.steps; step++) {
    const b = await data.batch(step - 1);
    const loss = tidy(() => {
      const l = bceWithLogits(C.call(tensor(b.images, [b.n, 3, S, S])), tensor(b.labels, [b.n]));
      opt.step(grad(l, params));
      return l;
    });
    pending.push(keep(loss));
    if (step % t.logEvery === 0 || step === t.steps) {
      const vals = await readAll(pending);
      pending.forEach((p) => p.dispose());
      pending = [];
      onLog?.(step, vals.reduce((s, v) => s + v[0], 0) / vals.length);
    }
  }
  return C;
}

/** Metadata stored beside the weights. */
export interface ClassifierMeta {
  config: ClassifierConfig;
  attribute: string;
  /** 'synthetic' or the CelebA-layout folder it was trained on. */
  data: string;
  steps: number;
  test: ClassifierTest | null;
  /** Test accuracy with every test image's attribute region corrupted (hard negatives); absent: not measured. */
  hardTest?: ClassifierTest | null;
  /** Anything else worth keeping (data seed, counts). */
  extra?: Record<string, unknown>;
}

export async function saveClassifier(C: AttributeClassifier, meta: ClassifierMeta): Promise<Uint8Array> {
  return saveSafetensors(C.stateDict(), { format: CLASSIFIER_FORMAT, meta: JSON.stringify(meta) });
}

/** Loads a classifier from checkpoint bytes; errors name the file and what is wrong. */
export function loadClassifier(bytes: Uint8Array, source = 'classifier'): { C: AttributeClassifier; meta: ClassifierMeta } {
  let parsed: ReturnType<typeof parseSafetensors>;
  try {
    parsed = parseSafetensors(bytes);
  } catch (e) {
    throw new Error(`${source}: not a valid safetensors file: ${(e as Error).message}`);
  }
  if (parsed.metadata.format !== CLASSIFIER_FORMAT) {
    throw new Error(`${source}: not a classifier checkpoint (metadata format is ${JSON.stringify(parsed.metadata.format ?? null)}, expected '${CLASSIFIER_FORMAT}'). Fix: pass a file written by 'sagan train-classifier'.`);
  }
  let meta: ClassifierMeta;
  try {
    meta = JSON.parse(parsed.metadata.meta);
    checkClassifierConfig(meta.config);
  } catch (e) {
    throw new Error(`${source}: classifier metadata is damaged (${(e as Error).message})`);
  }
  const C = new AttributeClassifier(meta.config);
  try {
    C.loadStateDict(parsed.tensors);
  } catch (e) {
    C.dispose();
    throw new Error(`${source}: weights do not fit the classifier in its config: ${(e as Error).message}`);
  }
  return { C, meta };
}
