/**
 * @file Row reductions: sum or max of each row of x viewed as [outer, rows, inner], over outer × inner
 * (`strided`; a per-channel sum of NCHW is outer N, rows C, inner H·W — no permute copy first), or of a
 * contiguous [rows, len] view (outer 1). Element k of a row is x[(k / inner)·rows·inner + row·inner +
 * k % inner], the order a permute to [rows, outer·inner] would give, so both paths sum alike. Long rows
 * get a workgroup each (strided partial results, then a tree in workgroup memory: pairwise, so f32
 * error grows like log n); short rows get one thread each.
 */
import { kernel } from './kernel.ts';

export const REDUCE_WG = 256;
export type ReduceOp = 'sum' | 'max';

const ID: Record<ReduceOp, string> = { sum: '0.0', max: '-3.4028234663852886e38' };
const COMBINE: Record<ReduceOp, (a: string, b: string) => string> = {
  sum: (a, b) => `${a} + ${b}`,
  max: (a, b) => `max(${a}, ${b})`,
};

export const reduceKernel = kernel<{ op: ReduceOp; perRow: 'workgroup' | 'thread'; strided: boolean }>('reduce', ({ op, perRow, strided }) => {
  const head = /* wgsl */ `
// divisor: 1 for sum and max, n for a mean (one dispatch, and the same x / n as a sum then a division).
struct U { rows: u32, len: u32, inner: u32, divisor: f32 }
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
// Element k of a row.
fn at(row: u32, k: u32) -> f32 {
${strided ? '  let a = k / u.inner;\n  return x[(a * u.rows + row) * u.inner + (k - a * u.inner)];' : '  return x[row * u.len + k];'}
}
`;
  if (perRow === 'thread') {
    return head + /* wgsl */ `
@compute @workgroup_size(${REDUCE_WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = (wid.y * nwg.x + wid.x) * ${REDUCE_WG}u + lid.x;
  if (row >= u.rows) { return; }
  var acc = ${ID[op]};
  for (var k = 0u; k < u.len; k++) { acc = ${COMBINE[op]('acc', 'at(row, k)')}; }
  out[row] = acc / u.divisor;
}
`;
  }
  return head + /* wgsl */ `
var<workgroup> part: array<f32, ${REDUCE_WG}>;
@compute @workgroup_size(${REDUCE_WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = wid.y * nwg.x + wid.x;
  // Uniform control flow: every thread of the group reaches the barriers, even past the last row.
  let live = row < u.rows;
  var acc = ${ID[op]};
  if (live) {
    for (var k = lid.x; k < u.len; k += ${REDUCE_WG}u) { acc = ${COMBINE[op]('acc', 'at(row, k)')}; }
  }
  part[lid.x] = acc;
  workgroupBarrier();
  for (var s = ${REDUCE_WG / 2}u; s > 0u; s = s >> 1u) {
    if (lid.x < s) { part[lid.x] = ${COMBINE[op]('part[lid.x]', 'part[lid.x + s]')}; }
    workgroupBarrier();
  }
  if (live && lid.x == 0u) { out[row] = part[0] / u.divisor; }
}
`;
});
