/**
 * @file The tape's recording side: each differentiable op calls `record(prim, params, inputs, out)`,
 * which attaches a TapeNode to `out` when an input requires grad and recording is on (`noGrad` turns
 * it off). Walking the tape backwards is `autograd.ts`; this file imports no op, so every op can
 * import it without an import circle.
 */
import type { Prim, PrimParams } from './prims.ts';
import type { Tensor } from './tensor.ts';

export interface TapeNode<P extends Prim = Prim> {
  prim: P;
  params: PrimParams[P];
  inputs: Tensor[];
  /** Set when a backward pass without retainGraph has consumed this node. */
  freed: boolean;
}

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs `fn` without recording the tape (inference, optimiser updates). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    const r = fn();
    if (r instanceof Promise) return r.finally(() => (gradEnabled = prev)) as T;
    gradEnabled = prev;
    return r;
  } catch (e) {
    gradEnabled = prev;
    throw e;
  }
}

/** Attaches a tape node to `out` when any input requires grad and recording is on. */
export function record<P extends Prim>(prim: P, params: PrimParams[P], inputs: Tensor[], out: Tensor): Tensor {
  if (gradEnabled && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    out.node = { prim, params, inputs, freed: false } as TapeNode;
  }
  return out;
}

/** Marks a leaf as requiring grad (PyTorch's `requires_grad_()`); returns it. */
export function requiresGrad(t: Tensor, value = true): Tensor {
  if (t.node) throw new Error(`requiresGrad: ${t} is not a leaf (it was made by ${t.node.prim}). Fix: call it on a leaf, or use detach() first.`);
  t.requiresGrad = value;
  return t;
}
