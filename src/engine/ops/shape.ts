/**
 * @file Shape arithmetic shared by the ops: broadcasting, axis normalisation, strides. Every check
 * throws at the call site with the op's name and the shapes involved.
 */
export function fmt(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d];
  }
  return s;
}

/** NumPy broadcasting of any number of shapes. */
export function broadcastShapes(op: string, ...shapes: (readonly number[])[]): number[] {
  const nd = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(nd).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const d = nd - s.length + i;
      const v = s[i];
      if (v === out[d] || v === 1) continue;
      if (out[d] === 1) out[d] = v;
      else throw new Error(`${op}: shapes ${shapes.map(fmt).join(' and ')} cannot be broadcast together (dimension ${d}: ${out[d]} vs ${v})`);
    }
  }
  return out;
}

/** Strides to read `shape` as if it had shape `out` (0 on broadcast dimensions). */
export function broadcastStrides(shape: readonly number[], out: readonly number[]): number[] {
  const st = stridesOf(shape);
  const res = new Array<number>(out.length).fill(0);
  for (let i = 0; i < shape.length; i++) {
    const d = out.length - shape.length + i;
    res[d] = shape[i] === 1 && out[d] !== 1 ? 0 : st[i];
  }
  return res;
}

/** Normalises possibly negative axes; undefined means all axes. */
export function normAxes(op: string, ndim: number, axes: number | readonly number[] | undefined): number[] {
  if (axes === undefined) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof axes === 'number' ? [axes] : [...axes];
  const out = list.map((a) => {
    if (!Number.isInteger(a) || a < -ndim || a >= ndim) throw new Error(`${op}: axis ${a} is out of range for a tensor of rank ${ndim}`);
    return a < 0 ? a + ndim : a;
  });
  if (new Set(out).size !== out.length) throw new Error(`${op}: repeated axis in [${list.join(', ')}]`);
  return out.sort((a, b) => a - b);
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
