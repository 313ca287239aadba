/**
 * @file The judge classifier: shape checks, accuracy of a classifier with hand-set weights on a fixed
 * labelled batch, and the safetensors round trip (format 'sagan-webgpu/classifier/1').
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { init, destroyDevice, saveSafetensors } from '../../src/index.ts';
import {
  AttributeClassifier, classifierLogits, classifierTest, saveClassifier, loadClassifier, CLASSIFIER_FORMAT,
} from '../../src/sagan/eval/classifier.ts';
import { parseSafetensors } from '../../src/engine/io/safetensors.ts';

beforeAll(async () => { await init(); });
afterAll(() => destroyDevice());

const S = 16;

/** Constant images: image i has every pixel = v[i]. */
function constantImages(v: number[]): Float32Array {
  const x = new Float32Array(v.length * 3 * S * S);
  v.forEach((val, i) => x.fill(val, i * 3 * S * S, (i + 1) * 3 * S * S));
  return x;
}

describe('attribute classifier', () => {
  it('hand-set weights: logit sign = sign of the image value; accuracy on a fixed labelled batch', async () => {
    const C = new AttributeClassifier({ size: S, width: 1 });
    expect(Object.keys(C.stateDict())).toEqual([
      'main.0.weight', 'main.0.bias', 'main.2.weight', 'main.2.bias', 'main.4.weight', 'main.4.bias',
      'main.6.weight', 'main.6.bias', 'head.weight', 'head.bias',
    ]);
    // Positive weights, zero biases: each conv sums same-signed inputs (zero padding adds nothing), LeakyReLU
    // keeps the sign, so a constant image's logit has the sign of its value.
    const sd = Object.fromEntries(Object.entries(C.stateDict()).map(([k, t]) => {
      const fanIn = t.shape.slice(1).reduce((a, b) => a * b, 1);
      return [k, { dtype: 'F32' as const, shape: [...t.shape], data: new Float32Array(t.size).fill(k.endsWith('bias') ? 0 : 1 / fanIn) }];
    }));
    C.loadStateDict(sd);
    const v = [0.5, -0.5, 0.8, -0.3, 0.1];
    const labels = Float32Array.from([1, 0, 0, 0, 1]); // image 2 is labelled wrongly on purpose
    const logits = await classifierLogits(C, constantImages(v), v.length);
    expect([...logits].map(Math.sign)).toEqual([1, -1, 1, -1, 1]);
    expect(classifierTest(logits, labels)).toEqual({ n: 5, positives: 2, accuracy: 0.8, accuracyPositive: 1, accuracyNegative: 2 / 3 });

    // Round trip through safetensors: same logits, metadata kept.
    const bytes = await saveClassifier(C, { config: C.config, attribute: 'Smiling', data: 'synthetic', steps: 0, test: null });
    expect(parseSafetensors(bytes).metadata.format).toBe(CLASSIFIER_FORMAT);
    const back = loadClassifier(bytes, 'mem');
    expect(back.meta.attribute).toBe('Smiling');
    expect([...(await classifierLogits(back.C, constantImages(v), v.length))]).toEqual([...logits]);
    back.C.dispose();
    C.dispose();
  }, 120_000);

  it('rejects wrong shapes, sizes and files', async () => {
    expect(() => new AttributeClassifier({ size: 24, width: 2 })).toThrow(/power of two ≥ 16/);
    const other = await saveSafetensors({ w: { dtype: 'F32', shape: [1], data: new Float32Array(1) } }, { format: 'sagan-webgpu/1' });
    expect(() => loadClassifier(other, 'g.safetensors')).toThrow(/g\.safetensors: not a classifier checkpoint \(metadata format is "sagan-webgpu\/1"/);
    expect(() => loadClassifier(new Uint8Array([1, 2, 3]), 'junk')).toThrow(/junk: not a valid safetensors file/);
  });
});
