/**
 * @file The elementwise kernel family: out[i] = EXPR(x0, x1, x2) for up to three inputs with NumPy
 * broadcasting. Specialised by the expression, the arity, the rank and whether any input broadcasts:
 * the contiguous case does no index arithmetic; the broadcast case unrolls the index decomposition
 * (constant indices only) and reads each input through its own strides (0 on broadcast dimensions).
 * Also serves fills (arity 0) and arange / random (EXPR may use `fi`, the flat index as f32, and `i`).
 * EXPR reads its constants from the uniforms: `u.scalar0`, `u.scalar1` (f32), `u.rngCounter`, `u.rngKey` (u32).
 * An operand may be a number instead of a tensor (bit k of `consts`): x_k is then the uniform `u.k[k]`,
 * not a buffer — `mul(x, 0.5)` is one dispatch, not a fill of a one-element tensor and a broadcast read.
 */
import { kernel, packed } from './kernel.ts';

export interface MapSpec {
  expr: string;
  arity: number;
  ndim: number;
  bcast: boolean;
  /** Bit k set: operand k is the number u.k[k] (no buffer). */
  consts: number;
  /** Extra WGSL functions the expression calls. */
  lib?: string;
}

const WG = 256;
export const MAP_WG = WG;
export const MAX_DIMS = 8;

/** Helpers the expressions may call. */
const MATH_LIB = /* wgsl */ `
// x^y with PyTorch's rules for negative bases with integer exponents and 0^0 = 1.
fn powf(x: f32, y: f32) -> f32 {
  if (y == 0.0) { return 1.0; }
  if (y == round(y)) {
    let r = pow(abs(x), y);
    if (x < 0.0 && (i32(y) & 1) == 1) { return -r; }
    return r;
  }
  return pow(x, y);
}
// tanh through exp(-2|x|): never overflows. Near 0, 1 - e cancels (tanh(1e-6) would be 1 % off), so
// below |x| = 1/8 the odd Taylor series x - x³/3 + 2x⁵/15 - 17x⁷/315 (next term < 2e-9 relative).
fn tanhf(x: f32) -> f32 {
  if (abs(x) < 0.125) {
    let x2 = x * x;
    return x * (1.0 + x2 * (-0.33333334 + x2 * (0.13333334 + x2 * -0.053968254)));
  }
  let e = exp(-2.0 * abs(x));
  return sign(x) * (1.0 - e) / (1.0 + e);
}
// The logistic function without overflow for large |x|.
fn sigmoidf(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}
`;

export const mapKernel = kernel<MapSpec>('map', ({ expr, arity, ndim, bcast, consts, lib }) => {
  const isConst = (k: number) => ((consts >> k) & 1) === 1;
  const ins = Array.from({ length: arity }, (_, k) => k).filter((k) => !isConst(k));
  const strideFields = bcast ? ins.map((k) => `  s${k}: array<vec4<u32>, 2>,`).join('\n') : '';
  const decls = ins.map((k) => `@group(0) @binding(${k + 1}) var<storage, read> x${k}_buf: array<f32>;`).join('\n');
  let index = '';
  if (bcast) {
    index += ins.map((k) => `  var o${k} = 0u;`).join('\n') + '\n  var r = i;\n';
    for (let d = ndim - 1; d >= 0; d--) {
      const f = packed(d);
      index += `  { let c = r % u.shape${f}; r = r / u.shape${f};\n`;
      index += ins.map((k) => `    o${k} = o${k} + c * u.s${k}${f};`).join('\n') + '\n  }\n';
    }
  }
  const loads = Array.from({ length: arity }, (_, k) => (isConst(k)
    ? `  let x${k} = u.k[${k}];`
    : `  let x${k} = x${k}_buf[${bcast ? `o${k}` : 'i'}];`)).join('\n');
  return /* wgsl */ `
struct U {
  n: u32,
  // Two f32 constants the expression may read (fill value; arange start and step; LeakyReLU slope).
  scalar0: f32,
  scalar1: f32,
  // The random draws' counter (first element's) and key (hashed seed).
  rngCounter: u32,
  rngKey: u32,
  shape: array<vec4<u32>, 2>,
  // Number operands (bit k of consts).
  k: vec4<f32>,
${strideFields}
}
@group(0) @binding(0) var<uniform> u: U;
${decls}
@group(0) @binding(${arity + 1}) var<storage, read_write> out: array<f32>;
${MATH_LIB}
${lib ?? ''}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = (wid.y * nwg.x + wid.x) * ${WG}u + lid.x;
  if (i >= u.n) { return; }
  let fi = f32(i);
${index}
${loads}
  out[i] = ${expr};
}
`;
});

/**
 * Several independent sums in one dispatch: group j (workgroup row z = j) writes
 * out_j[i] = x_j0[i] + x_j1[i] + … left to right — the same float order as one map expression, or a
 * chain of adds — for i < u.n[j]. Autograd totals the gradient contributions of every parameter with it
 * at the end of a backward pass (70 single sums of an `npm start` iteration became a few dispatches).
 * WGSL cannot index bindings, so each group is written out with its own buffers; `arities` (each ≥ 2)
 * specialise the kernel.
 */
export const sumGroupsKernel = kernel<{ arities: number[] }>('sumGroups', ({ arities }) => {
  let binding = 1;
  const decls: string[] = [];
  const bodies = arities.map((n, j) => {
    const ins = Array.from({ length: n }, (_, k) => {
      decls.push(`@group(0) @binding(${binding++}) var<storage, read> x${j}_${k}: array<f32>;`);
      return `x${j}_${k}[i]`;
    });
    decls.push(`@group(0) @binding(${binding++}) var<storage, read_write> out${j}: array<f32>;`);
    return `  if (wid.z == ${j}u && i < u.n${packed(j)}) { out${j}[i] = ${ins.join(' + ')}; }`;
  });
  return /* wgsl */ `
struct U {
  n: array<vec4<u32>, ${Math.ceil(arities.length / 4)}>,
}
@group(0) @binding(0) var<uniform> u: U;
${decls.join('\n')}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = (wid.y * nwg.x + wid.x) * ${WG}u + lid.x;
${bodies.join('\n')}
}
`;
});
