/**
 * @file Reverse-mode autograd on a tape. Each differentiable op records a TapeNode (prim, params,
 * inputs) on its output. `grad()` walks the nodes in reverse topological order and calls each prim's
 * backward rule — written in the engine's own ops — so with `createGraph` the gradients are tensors on
 * the tape again and can be differentiated (gradient penalties, Hessian-vector products).
 * Semantics follow PyTorch's `torch.autograd.grad` and `Tensor.backward`.
 */
import type { Prim, PrimParams } from './prims.ts';
import { Tensor } from './tensor.ts';
import { keep, tidy } from './memory.ts';

export interface TapeNode<P extends Prim = Prim> {
  prim: P;
  params: PrimParams[P];
  inputs: Tensor[];
  /** Set when a backward pass without retainGraph has consumed this node. */
  freed: boolean;
}

/**
 * A backward rule: given ∂L/∂out (`g`), the op's inputs, its output and params, return ∂L/∂input for
 * each input (null where an input takes no gradient). Rules use differentiable ops only. `needs[i]`
 * says whether input i leads to a wanted gradient at all: costly rules (conv, matmul) skip the rest —
 * e.g. the generator's step differentiates through D without computing D's weight gradients.
 */
export type Rule<P extends Prim> = (g: Tensor, inputs: Tensor[], out: Tensor, params: PrimParams[P], needs: boolean[]) => (Tensor | null)[];
export type RuleTable = { [P in Prim]: Rule<P> };

let rules: RuleTable | null = null;
/** Installed once by `ops/rules.ts` (kept apart to avoid an import cycle between tape and ops). */
export function installRules(table: RuleTable): void {
  rules = table;
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

/** Tensors reachable from `roots` through the tape, outputs before inputs. */
function reverseTopo(roots: Tensor[]): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<number>();
  // Iterative DFS: deep graphs (long training chains) must not overflow the JS stack.
  const stack: [Tensor, boolean][] = roots.map((r) => [r, false]);
  while (stack.length) {
    const [t, done] = stack.pop()!;
    if (done) {
      order.push(t);
      continue;
    }
    if (seen.has(t.id)) continue;
    seen.add(t.id);
    stack.push([t, true]);
    if (t.node) for (const x of t.node.inputs) if (x.requiresGrad && !seen.has(x.id)) stack.push([x, false]);
  }
  return order.reverse();
}

export interface GradOptions {
  /** ∂L/∂output for each output; defaults to ones for one-element outputs. */
  gradOutputs?: Tensor | (Tensor | null)[];
  /** Record the backward pass on the tape so the gradients can be differentiated again. */
  createGraph?: boolean;
  /** Keep the graph for another backward pass (defaults to createGraph, as in PyTorch). */
  retainGraph?: boolean;
  /** Return null for inputs the outputs do not depend on, instead of throwing. */
  allowUnused?: boolean;
}

type Ones = (shape: readonly number[]) => Tensor;
type Add = (a: Tensor, b: Tensor) => Tensor;
let helpers: { ones: Ones; add: Add } | null = null;
export function installGradHelpers(h: { ones: Ones; add: Add }): void {
  helpers = h;
}

/** Core of grad() and backward(): returns the accumulated gradient for every tensor in `wanted`. */
function run(outputs: Tensor[], gradOutputs: (Tensor | null)[], wanted: Set<number>, opts: GradOptions): Map<number, Tensor> {
  if (!rules || !helpers) throw new Error('autograd: ops are not loaded. Fix: import from the package index (src/index.ts).');
  const R = rules;
  const H = helpers;
  const createGraph = opts.createGraph ?? false;
  const retain = opts.retainGraph ?? createGraph;
  const grads = new Map<number, Tensor>();
  // Without createGraph, gradients are on no tape and are freed as soon as they are consumed. Every
  // tensor in `grads` is then a distinct object (shared results become views of one storage), so
  // disposing one never frees another that a rule passed through unchanged.
  const own = (x: Tensor) => (createGraph ? x : x.view(x.shape));
  const accumulate = (t: Tensor, g: Tensor) => {
    const prev = grads.get(t.id);
    if (!prev) return void grads.set(t.id, g);
    grads.set(t.id, H.add(prev, g));
    if (!createGraph) {
      prev.dispose();
      g.dispose();
    }
  };
  outputs.forEach((o, i) => {
    if (!o.requiresGrad) throw new Error(`grad: output ${i} ${o} does not require grad: nothing in it depends on a tensor with requiresGrad.`);
    const go = gradOutputs[i];
    if (go && go.shape.join() !== o.shape.join()) {
      throw new Error(`grad: gradOutputs[${i}] has shape [${go.shape.join(', ')}] but output has [${o.shape.join(', ')}]`);
    }
    accumulate(o, go ? own(go) : H.ones(o.shape));
  });
  const order = reverseTopo(outputs);
  // needed(t): some wanted tensor is t or lies behind t on the tape. Inputs come after outputs in
  // `order`, so one backwards sweep settles it.
  const needed = new Set<number>();
  for (let i = order.length - 1; i >= 0; i--) {
    const t = order[i];
    if (wanted.has(t.id) || t.node?.inputs.some((x) => needed.has(x.id))) needed.add(t.id);
  }
  const step = () => {
    for (const t of order) {
      const node = t.node;
      const g = grads.get(t.id);
      if (!node || !g || !needed.has(t.id)) continue;
      const needs = node.inputs.map((x) => x.requiresGrad && needed.has(x.id));
      // A wanted tensor with nothing wanted behind it (grad w.r.t. an intermediate) ends the walk: its
      // rule is not run, so the tensors behind it may already be disposed.
      if (!needs.some(Boolean)) continue;
      if (node.freed) {
        throw new Error('grad: trying to backward through the graph a second time (its saved tensors were released). ' +
          'Fix: pass retainGraph: true (or createGraph: true) to the first grad()/backward().');
      }
      for (const x of node.inputs) if (x.isDisposed) {
        throw new Error(`grad: ${node.prim} needs its input ${x}, which was disposed (a tidy() closed over it?). ` +
          `Fix: compute gradients inside the same tidy() as the forward pass.`);
      }
      const rule = R[node.prim] as Rule<Prim>;
      const compute = () => rule(g, node.inputs, t, node.params, needs);
      const gin = createGraph ? compute() : tidy(compute);
      if (!retain) node.freed = true;
      const used = new Set<Tensor>();
      node.inputs.forEach((x, i) => {
        let gi = gin[i];
        if (!gi) return;
        if (!createGraph && (gi === g || used.has(gi))) gi = own(gi);
        used.add(gi);
        if (needs[i]) accumulate(x, gi);
        else if (!createGraph) gi.dispose();
      });
      if (!wanted.has(t.id) && !createGraph) {
        g.dispose();
        grads.delete(t.id);
      }
    }
  };
  if (createGraph) step();
  else {
    noGrad(step);
    // Gradients that reached tensors nobody asked for (unwanted leaves, pruned branches): free them.
    for (const [id, g] of grads) if (!wanted.has(id)) {
      g.dispose();
      grads.delete(id);
    }
  }
  return grads;
}

/**
 * ∂(Σ outputs·gradOutputs)/∂inputs, like `torch.autograd.grad`. With `createGraph` the returned
 * gradients are themselves differentiable.
 */
export function grad(outputs: Tensor | Tensor[], inputs: Tensor | Tensor[], opts: GradOptions = {}): Tensor[] {
  const outs = Array.isArray(outputs) ? outputs : [outputs];
  const ins = Array.isArray(inputs) ? inputs : [inputs];
  const gos = opts.gradOutputs === undefined ? outs.map(() => null) : Array.isArray(opts.gradOutputs) ? opts.gradOutputs : [opts.gradOutputs];
  if (gos.length !== outs.length) throw new Error(`grad: ${outs.length} outputs but ${gos.length} gradOutputs`);
  outs.forEach((o, i) => {
    if (!gos[i] && o.size !== 1) throw new Error(`grad: output ${i} has shape [${o.shape.join(', ')}]; gradients can be implied only for one-element outputs. Fix: pass gradOutputs.`);
  });
  ins.forEach((x, i) => {
    if (!x.requiresGrad) throw new Error(`grad: input ${i} ${x} does not require grad. Fix: requiresGrad(x) before the forward pass.`);
  });
  const wanted = new Set(ins.map((x) => x.id));
  const grads = run(outs, gos, wanted, opts);
  return ins.map((x, i) => {
    const g = grads.get(x.id);
    if (g) return g;
    if (opts.allowUnused) return null as unknown as Tensor;
    throw new Error(`grad: input ${i} ${x} was not used to compute the outputs. Fix: pass allowUnused: true to get null for it.`);
  });
}

/** Accumulates ∂loss/∂leaf into `.grad` of every leaf that requires grad, like `loss.backward()`. */
export function backward(loss: Tensor, opts: { gradOutput?: Tensor; retainGraph?: boolean; createGraph?: boolean } = {}): void {
  if (!opts.gradOutput && loss.size !== 1) throw new Error(`backward: loss has shape [${loss.shape.join(', ')}]; pass gradOutput for a non-scalar.`);
  const leaves = reverseTopo([loss]).filter((t) => !t.node && t.requiresGrad);
  const wanted = new Set(leaves.map((t) => t.id));
  const grads = run([loss], [opts.gradOutput ?? null], wanted, opts);
  for (const leaf of leaves) {
    const g = grads.get(leaf.id);
    if (!g) continue;
    if (leaf.grad) {
      const sum = noGrad(() => helpers!.add(leaf.grad!, g));
      leaf.grad.dispose();
      g.dispose();
      leaf.grad = keep(sum);
    } else {
      leaf.grad = keep(g);
    }
  }
}
