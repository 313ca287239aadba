/**
 * @file `Module`: a tree of layers with named parameters and buffers, like torch.nn.Module. Names
 * follow PyTorch exactly — a module's own parameters, then its own buffers, then each child's entries
 * prefixed by the child's name and '.', children in registration order — so a state dict keyed
 * `main.0.weight` here is the same key PyTorch prints.
 *
 * Subclasses register what they own in their constructor (PyTorch does it through __setattr__):
 *   this.conv = this.registerModule('conv', new Conv2d(3, 8, 3));
 *   this.weight = this.registerParameter('weight', parameter(ones([8])));
 * and implement `forward`; callers use `call` (the one entry point, as PyTorch's __call__).
 */
import { Tensor, sizeOf } from '../tensor.ts';
import { assign } from '../assign.ts';
import type { HostTensor } from '../io/safetensors.ts';
import { fmt, sameShape } from '../ops/shape.ts';

/** What `loadStateDict` accepts per key: a GPU tensor, or host data (e.g. from parseSafetensors). */
export type StateValue = Tensor | HostTensor;

/** Any module, whatever its forward signature. */
export type AnyModule = Module<any[], unknown>;

export abstract class Module<A extends unknown[] = [Tensor], R = Tensor> {
  /** Set by train() / eval(); layers whose behaviour differs between the two read it. */
  training = true;
  private readonly _parameters = new Map<string, Tensor | null>();
  private readonly _buffers = new Map<string, Tensor>();
  private readonly _modules = new Map<string, AnyModule>();

  abstract forward(...args: A): R;

  /** Runs the module (PyTorch's `module(x)`). */
  call(...args: A): R {
    return this.forward(...args);
  }

  private checkName(kind: string, name: string): void {
    if (!name || name.includes('.')) throw new Error(`${this.constructor.name}: ${kind} name '${name}' must be non-empty and contain no '.'`);
    if (this._parameters.has(name) || this._buffers.has(name) || this._modules.has(name)) {
      throw new Error(`${this.constructor.name}: '${name}' is already registered`);
    }
  }

  /** Registers a parameter (a leaf with requiresGrad, made by `parameter()`); null keeps the slot empty, like PyTorch's bias=None. */
  protected registerParameter<T extends Tensor | null>(name: string, t: T): T {
    this.checkName('parameter', name);
    if (t && (!t.requiresGrad || t.node)) throw new Error(`${this.constructor.name}: parameter '${name}' must be a leaf with requiresGrad (use nn.parameter())`);
    this._parameters.set(name, t);
    return t;
  }

  /** Registers a buffer: state saved in the state dict that takes no gradient (running statistics). */
  protected registerBuffer(name: string, t: Tensor): Tensor {
    this.checkName('buffer', name);
    this._buffers.set(name, t);
    return t;
  }

  /** Registers a child module under `name`. */
  protected registerModule<M extends AnyModule>(name: string, m: M): M {
    this.checkName('module', name);
    this._modules.set(name, m);
    return m;
  }

  /** This module and every descendant with its dotted name ('' for this one), parents first. */
  namedModules(prefix = ''): [string, AnyModule][] {
    const out: [string, AnyModule][] = [[prefix, this]];
    for (const [name, m] of this._modules) out.push(...m.namedModules(prefix ? `${prefix}.${name}` : name));
    return out;
  }

  /** Direct children in registration order. */
  children(): AnyModule[] {
    return [...this._modules.values()];
  }

  /** Parameters by dotted name; a tensor shared by two modules is listed once (as in PyTorch). */
  namedParameters(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, p] of m._parameters) {
        if (!p || seen.has(p)) continue;
        seen.add(p);
        out.push([prefix ? `${prefix}.${name}` : name, p]);
      }
    }
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  namedBuffers(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, b] of m._buffers) out.push([prefix ? `${prefix}.${name}` : name, b]);
    }
    return out;
  }

  /** Number of parameter elements (PyTorch's sum(p.numel() for p in parameters())). */
  numParameters(): number {
    return this.parameters().reduce((s, p) => s + p.size, 0);
  }

  /**
   * Parameters and buffers by PyTorch's state_dict names, in PyTorch's order: per module its
   * parameters then its buffers, then its children. The values are the live tensors (not copies,
   * like PyTorch's detached views): do not dispose them.
   */
  stateDict(): Record<string, Tensor> {
    const entries: [string, Tensor][] = [];
    for (const [prefix, m] of this.namedModules()) {
      const key = (name: string) => (prefix ? `${prefix}.${name}` : name);
      for (const [name, p] of m._parameters) if (p) entries.push([key(name), p]);
      for (const [name, b] of m._buffers) entries.push([key(name), b]);
    }
    return Object.fromEntries(entries);
  }

  /**
   * Copies values into this module's parameters and buffers in place (so optimisers holding them stay
   * valid). Everything is checked first — names (missing / unexpected keys, unless strict is false)
   * and shapes — and on any problem it throws one error listing all of them and changes nothing.
   */
  loadStateDict(sd: Record<string, StateValue>, opts: { strict?: boolean } = {}): { missingKeys: string[]; unexpectedKeys: string[] } {
    const strict = opts.strict ?? true;
    const own = this.stateDict();
    const missingKeys = Object.keys(own).filter((k) => !Object.hasOwn(sd, k));
    const unexpectedKeys = Object.keys(sd).filter((k) => !Object.hasOwn(own, k));
    const problems: string[] = [];
    if (strict && missingKeys.length) problems.push(`missing keys: ${missingKeys.join(', ')}`);
    if (strict && unexpectedKeys.length) problems.push(`unexpected keys: ${unexpectedKeys.join(', ')}`);
    const writes: [Tensor, StateValue][] = [];
    for (const [k, dst] of Object.entries(own)) {
      if (!Object.hasOwn(sd, k)) continue;
      const src = sd[k];
      if (!sameShape(src.shape, dst.shape)) {
        problems.push(`shape mismatch for '${k}': checkpoint ${fmt(src.shape)}, module ${fmt(dst.shape)}`);
      } else if (!(src instanceof Tensor) && src.data.length !== sizeOf(src.shape)) {
        problems.push(`'${k}' has ${src.data.length} values for shape ${fmt(src.shape)}`);
      } else if (src instanceof Tensor && src.isDisposed) {
        problems.push(`'${k}' is a disposed tensor`);
      } else {
        writes.push([dst, src]);
      }
    }
    if (problems.length) throw new Error(`loadStateDict (${this.constructor.name}): nothing was loaded because of:\n  ${problems.join('\n  ')}`);
    for (const [dst, src] of writes) assign(dst, src);
    return { missingKeys, unexpectedKeys };
  }

  /** Drops every parameter's `.grad` (PyTorch's zero_grad(set_to_none=True)). */
  zeroGrad(): void {
    for (const p of this.parameters()) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /** Sets training mode on this module and every descendant; returns this. */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Frees the GPU memory of every parameter (and its grad) and buffer; the module is unusable after. */
  dispose(): void {
    this.zeroGrad();
    for (const t of [...this.parameters(), ...this.namedBuffers().map(([, b]) => b)]) t.dispose();
  }
}
