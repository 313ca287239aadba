/**
 * @file Reverse-mode autograd on a tape. Each differentiable op records a TapeNode (prim, params,
 * inputs) on its output. `grad()` walks the nodes in reverse topological order and calls each prim's
 * backward rule — written in the engine's own ops — so with `createGraph` the gradients are tensors on
 * the tape again and can be differentiated (gradient penalties, Hessian-vector products).
 * Semantics follow PyTorch's `torch.autograd.grad` and `Tensor.backward`. Recording is `tape.ts`;
 * the rules are the one table of `ops/rules.ts`, imported directly (it imports ops, ops import the
 * tape, and no op imports this file).
 */
import type { Prim } from './prims.ts';
import type { Tensor } from './tensor.ts';
import { keep, tidy } from './memory.ts';
import { noGrad } from './tape.ts';
import { rules, type Rule } from './ops/rules.ts';
import { add, sumRaw, sumsRaw } from './ops/elementwise.ts';
import { ones } from './ops/creation.ts';

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

/** Core of grad() and backward(): returns the accumulated gradient for every tensor in `wanted`. */
function run(outputs: Tensor[], gradOutputs: (Tensor | null)[], wanted: Set<number>, opts: GradOptions): Map<number, Tensor> {
  const createGraph = opts.createGraph ?? false;
  const retain = opts.retainGraph ?? createGraph;
  // Gradient contributions per tensor, summed when the tensor's rule runs (or at the end): without
  // createGraph in one dispatch for up to 7 (sumRaw), not one add per contribution.
  const parts = new Map<number, Tensor[]>();
  // Without createGraph, gradients are on no tape and are freed as soon as they are consumed. Every
  // tensor in `parts` is then a distinct object (shared results become views of one storage), so
  // disposing one never frees another that a rule passed through unchanged.
  const own = (x: Tensor) => (createGraph ? x : x.view(x.shape));
  const accumulate = (t: Tensor, g: Tensor) => {
    const l = parts.get(t.id);
    if (l) l.push(g);
    else parts.set(t.id, [g]);
  };
  /** The gradient of tensor `id`: its contributions summed left to right (as a chain of adds), kept as one. */
  const total = (id: number): Tensor | undefined => {
    const l = parts.get(id);
    if (!l) return undefined;
    if (l.length > 1) {
      const s = createGraph ? l.reduce((a, b) => add(a, b)) : sumRaw(l);
      if (!createGraph) for (const x of l) x.dispose();
      parts.set(id, [s]);
    }
    return parts.get(id)![0];
  };
  outputs.forEach((o, i) => {
    if (!o.requiresGrad) throw new Error(`grad: output ${i} ${o} does not require grad: nothing in it depends on a tensor with requiresGrad.`);
    const go = gradOutputs[i];
    if (go && go.shape.join() !== o.shape.join()) {
      throw new Error(`grad: gradOutputs[${i}] has shape [${go.shape.join(', ')}] but output has [${o.shape.join(', ')}]`);
    }
    accumulate(o, go ? own(go) : ones(o.shape));
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
      if (!node || !needed.has(t.id)) continue;
      const g = total(t.id);
      if (!g) continue;
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
      const rule = rules[node.prim] as Rule<Prim>;
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
        parts.delete(t.id);
      }
    }
  };
  if (createGraph) step();
  else {
    noGrad(step);
    // Gradients that reached tensors nobody asked for (unwanted leaves, pruned branches): free them.
    for (const [id, l] of parts) if (!wanted.has(id)) {
      for (const g of l) g.dispose();
      parts.delete(id);
    }
  }
  if (!createGraph) {
    // The wanted gradients' contributions (a weight used by several forwards has several), totalled
    // together: a few dispatches instead of one per parameter.
    const multi = [...wanted].filter((id) => (parts.get(id)?.length ?? 0) > 1);
    const sums = noGrad(() => sumsRaw(multi.map((id) => parts.get(id)!)));
    multi.forEach((id, k) => {
      for (const x of parts.get(id)!) x.dispose();
      parts.set(id, [sums[k]]);
    });
  }
  const grads = new Map<number, Tensor>();
  for (const id of wanted) {
    const g = createGraph ? total(id) : noGrad(() => total(id));
    if (g) grads.set(id, g);
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
      const sum = noGrad(() => add(leaf.grad!, g));
      leaf.grad.dispose();
      g.dispose();
      leaf.grad = keep(sum);
    } else {
      leaf.grad = keep(g);
    }
  }
}
