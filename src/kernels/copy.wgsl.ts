/**
 * @file Strided copy: for every index of an iteration shape, dst[dstOff + Σ idx·dstStride] =
 * src[srcOff + Σ idx·srcStride]. One kernel serves permute (permuted source strides), expand (zero
 * strides), slice (a source offset), pad (a destination offset into a zero-filled output) and concat
 * (each input into its region of the output). Specialised by rank; indices unrolled.
 */
import { kernel, packed } from './kernel.ts';

export const COPY_WG = 256;
export const copyKernel = kernel<{ ndim: number }>('copy', ({ ndim }) => {
  let index = '';
  for (let d = ndim - 1; d >= 0; d--) {
    const f = packed(d);
    index += `  { let c = r % u.shape${f}; r = r / u.shape${f}; s = s + c * u.sst${f}; t = t + c * u.dst${f}; }\n`;
  }
  return /* wgsl */ `
struct U {
  n: u32,
  srcOff: u32,
  dstOff: u32,
  shape: array<vec4<u32>, 2>,
  sst: array<vec4<u32>, 2>,
  dst: array<vec4<u32>, 2>,
}
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(${COPY_WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = (wid.y * nwg.x + wid.x) * ${COPY_WG}u + lid.x;
  if (i >= u.n) { return; }
  var r = i;
  var s = u.srcOff;
  var t = u.dstOff;
${index}
  out[t] = src[s];
}
`;
});
