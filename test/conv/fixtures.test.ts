/**
 * @file The convolution and instance-norm ops against PyTorch: test/fixtures/conv_ops.safetensors,
 * written by scripts/fixtures/make_fixtures.py with Debian's torch, holds each case's inputs, output,
 * the first gradients of Σ y·gy and the gradients of the penalty Σ (∂/∂x Σ y·gy)² (second derivatives,
 * as in WGAN-GP), plus a small critic's WGAN-GP loss and weight gradients. All must agree within f32
 * tolerance.
 */
import { describe, it, beforeAll, afterAll } from 'vitest';
import { readFileSync } from 'node:fs';
import {
  init, destroyDevice, tensor, grad, readAll, tidy, requiresGrad, conv2d, convTranspose2d, instanceNorm2d, leakyRelu,
  mul, sum, sub, add, mean, sqrt, Tensor,
} from '../../src/index.ts';
import { parseSafetensors, toFloat32, type HostTensor } from '../../src/engine/io/safetensors.ts';
import { expectClose } from '../helpers/gradcheck.ts';

const fx = parseSafetensors(new Uint8Array(readFileSync(new URL('../fixtures/conv_ops.safetensors', import.meta.url))));
const T = fx.tensors;
const up = (t: HostTensor) => tensor(toFloat32(t), t.shape);
const close = (name: string, got: Float32Array, want: HostTensor, rtol = 3e-4) => expectClose(name, got, toFloat32(want), 1e-5, rtol);

// First use of each kernel specialisation compiles it (seconds each in lavapipe's LLVM, more under load).
const TIMEOUT = 240_000;

beforeAll(async () => { await init(); });
afterAll(() => destroyDevice());

type Params = { op: string; stride?: number; padding?: number; output_padding?: number; bias?: boolean; affine?: boolean };

function apply(p: Params, [x, w, b]: Tensor[]): Tensor {
  if (p.op === 'conv2d') return conv2d(x, w, b ?? null, { stride: p.stride, padding: p.padding });
  if (p.op === 'conv_transpose2d') return convTranspose2d(x, w, b ?? null, { stride: p.stride, padding: p.padding, outputPadding: p.output_padding });
  return instanceNorm2d(x, { weight: w ?? null, bias: b ?? null });
}

describe('ops vs PyTorch fixtures (forward, first gradients, gradient-penalty second gradients)', () => {
  const cases = Object.entries(fx.metadata).filter(([k]) => k !== 'critic');
  for (const [name, json] of cases) {
    it(name, async () => {
      const p = JSON.parse(json) as Params;
      const keys = ['x', 'w', 'b'].filter((k) => T[`${name}.${k}`]);
      await tidy(async () => {
        const ins = keys.map((k) => requiresGrad(up(T[`${name}.${k}`])));
        const y = apply(p, ins);
        const gs = grad(y, ins, { gradOutputs: up(T[`${name}.gy`]), createGraph: true });
        const penalty = sum(mul(gs[0], gs[0]));
        const hs = grad(penalty, ins, { allowUnused: true });
        const present = hs.map((h) => h ?? tensor([0], []));
        const [yv, pv, ...rest] = await readAll([y, penalty, ...gs, ...present]);
        close(`${name} y`, yv, T[`${name}.y`]);
        close(`${name} penalty`, pv, T[`${name}.gp`]);
        keys.forEach((_, i) => close(`${name} ${['dx', 'dw', 'db'][i]}`, rest[i], T[`${name}.${['dx', 'dw', 'db'][i]}`]));
        keys.forEach((_, i) => {
          const want = T[`${name}.${['gp_dx', 'gp_dw', 'gp_db'][i]}`];
          if (hs[i]) close(`${name} ${['gp_dx', 'gp_dw', 'gp_db'][i]}`, rest[keys.length + i], want);
          else close(`${name} unused input has zero penalty gradient`, new Float32Array(toFloat32(want).length), want);
        });
      });
    }, TIMEOUT);
  }

  it('critic: WGAN-GP loss and every weight gradient', async () => {
    const { widths, slope, gp_weight: gpWeight } = JSON.parse(fx.metadata.critic) as { widths: number[]; slope: number; gp_weight: number };
    await tidy(async () => {
      const names = [...widths.slice(1).flatMap((_, i) => [`c${i}.w`, `c${i}.b`]), 'head.w', 'head.b'];
      const P = Object.fromEntries(names.map((k) => [k, requiresGrad(up(T[`critic.${k}`]))]));
      const D = (x: Tensor) => {
        for (let i = 0; i < widths.length - 1; i++) x = leakyRelu(conv2d(x, P[`c${i}.w`], P[`c${i}.b`], { stride: 2, padding: 1 }), slope);
        return conv2d(x, P['head.w'], P['head.b'], { stride: 1, padding: 1 });
      };
      const real = up(T['critic.real']), fake = up(T['critic.fake']), eps = up(T['critic.eps']);
      const xh = requiresGrad(add(mul(eps, real), mul(sub(1, eps), fake)).detach());
      const [g] = grad(sum(D(xh)), xh, { createGraph: true });
      const norm = sqrt(sum(mul(g, g), [1, 2, 3]));
      const gp = mean(mul(sub(norm, 1), sub(norm, 1)));
      const loss = add(sub(mean(D(fake)), mean(D(real))), mul(gp, gpWeight));
      const gs = grad(loss, names.map((k) => P[k]));
      const [lv, gpv, ...gv] = await readAll([loss, gp, ...gs]);
      close('critic gp', gpv, T['critic.gp']);
      close('critic loss', lv, T['critic.loss']);
      names.forEach((k, i) => close(`critic d/d${k}`, gv[i], T[`critic.grad.${k}`], 1e-3));
    });
  }, TIMEOUT);
});
