/**
 * @file Shape and broadcast mismatches throw at the call site (synchronously, before any GPU work)
 * with an error that names the op and the operands' shapes.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import {
  init, destroyDevice, tensor, zeros, counters, add, sub, mul, div, pow, where, gt, ge, lt, le, eq, ne,
  matmul, reshape, permute, expand, slice, pad, concat, transpose, squeeze, unsqueeze, flatten, sum, mean, max,
  type Tensor,
} from '../../src/index.ts';

beforeAll(async () => { await init(); });
afterAll(() => destroyDevice());

/** Runs `f`, expects it to throw synchronously matching every pattern, and to have launched nothing. */
function throwsAtCallSite(f: () => unknown, ...patterns: RegExp[]): void {
  const before = counters.dispatches;
  let err: unknown = null;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err, 'no error thrown').toBeInstanceOf(Error);
  for (const p of patterns) expect((err as Error).message).toMatch(p);
  expect(counters.dispatches, 'a kernel was launched before the error').toBe(before);
}

const esc = (s: string) => s.replace(/[[\]]/g, '\\$&');
const shapes = (...ss: string[]) => ss.map((s) => new RegExp(esc(s)));

describe('broadcast mismatches name the op and both shapes', () => {
  const a = () => zeros([2, 3]);
  const b = () => zeros([4]);
  const ops: [string, (x: Tensor, y: Tensor) => Tensor][] = [
    ['add', add], ['sub', sub], ['mul', mul], ['div', div], ['pow', pow],
    ['gt', gt], ['ge', ge], ['lt', lt], ['le', le], ['eq', eq], ['ne', ne],
  ];
  for (const [name, op] of ops) {
    it(name, () => {
      const x = a(), y = b();
      throwsAtCallSite(() => op(x, y), new RegExp(`^${name}:`), ...shapes('[2, 3]', '[4]'));
      const p = zeros([2, 1, 5]), q = zeros([3, 4, 1]);
      throwsAtCallSite(() => op(p, q), new RegExp(`^${name}:`), ...shapes('[2, 1, 5]', '[3, 4, 1]'));
    });
  }
  it('where names all three shapes', () => {
    const c = zeros([2, 3]), x = zeros([3]), y = zeros([5, 1, 2]);
    throwsAtCallSite(() => where(c, x, y), /^where:/, ...shapes('[2, 3]', '[3]', '[5, 1, 2]'));
  });
});

describe('matmul', () => {
  it('inner dimensions', () => {
    const x = zeros([2, 3]), y = zeros([4, 5]);
    throwsAtCallSite(() => matmul(x, y), /^matmul:/, ...shapes('[2, 3]', '[4, 5]'));
  });
  it('batch dimensions that do not broadcast name both operands\' shapes', () => {
    const x = zeros([2, 3, 4]), y = zeros([3, 4, 5]);
    throwsAtCallSite(() => matmul(x, y), /^matmul\b/, ...shapes('[2, 3, 4]', '[3, 4, 5]'));
  });
  it('fewer than two dimensions', () => {
    const x = zeros([3]), y = zeros([3, 2]);
    throwsAtCallSite(() => matmul(x, y), /^matmul:/, ...shapes('[3]', '[3, 2]'));
  });
});

describe('layout ops', () => {
  it('reshape to a different size, or an impossible −1', () => {
    const x = zeros([2, 3]);
    throwsAtCallSite(() => reshape(x, [4, 2]), /^reshape:/, ...shapes('[2, 3]', '[4, 2]'));
    throwsAtCallSite(() => reshape(x, [4, -1]), /^reshape:/, ...shapes('[2, 3]', '[4, -1]'));
  });
  it('expand of a non-1 dimension or to fewer dimensions', () => {
    const x = zeros([2, 3]);
    throwsAtCallSite(() => expand(x, [2, 4]), /^expand:/, ...shapes('[2, 3]', '[2, 4]'));
    throwsAtCallSite(() => expand(x, [3]), /^expand:/, ...shapes('[2, 3]', '[3]'));
  });
  it('permute with a wrong count, a repeat, an out-of-range axis', () => {
    const x = zeros([2, 3, 4]);
    throwsAtCallSite(() => permute(x, [0, 1]), /^permute:/, ...shapes('[2, 3, 4]'));
    throwsAtCallSite(() => permute(x, [0, 1, 1]), /^permute:/);
    throwsAtCallSite(() => permute(x, [0, 1, 3]), /^permute:/);
  });
  it('concat with other dimensions differing, or ranks differing', () => {
    const x = zeros([2, 3]), y = zeros([2, 4]), z = zeros([2, 3, 1]);
    throwsAtCallSite(() => concat([x, y], 0), /^concat:/, ...shapes('[2, 3]', '[2, 4]'));
    throwsAtCallSite(() => concat([x, z], 1), /^concat:/, ...shapes('[2, 3]', '[2, 3, 1]'));
    throwsAtCallSite(() => concat([]), /^concat:/);
  });
  it('slice and pad with more bounds than dimensions; negative pad widths', () => {
    const x = zeros([2, 3]);
    throwsAtCallSite(() => slice(x, [0, 0, 0]), /^slice:/, ...shapes('[2, 3]'));
    throwsAtCallSite(() => pad(x, [1, 1, 1], [0, 0, 0]), /^pad:/, ...shapes('[2, 3]'));
    throwsAtCallSite(() => pad(x, [-1], [0]), /^pad:/);
  });
  it('axes out of range for transpose, squeeze, unsqueeze, flatten, reductions', () => {
    const x = zeros([2, 3]);
    throwsAtCallSite(() => transpose(x, 0, 2), /^transpose:/);
    throwsAtCallSite(() => squeeze(x, 2), /^squeeze:/);
    throwsAtCallSite(() => unsqueeze(x, 4), /^unsqueeze:/);
    throwsAtCallSite(() => flatten(x, 3), /^flatten:/);
    for (const [name, f] of [['sum', sum], ['mean', mean], ['max', max]] as const) {
      throwsAtCallSite(() => f(x, 2), new RegExp(`^${name}:.*axis 2`));
      throwsAtCallSite(() => f(x, [0, -2]), new RegExp(`^${name}:.*repeated`));
    }
  });
  it('tensor() values that do not fill the shape', () => {
    throwsAtCallSite(() => tensor([1, 2, 3], [2, 2]), /^tensor:/, ...shapes('[2, 2]'));
  });
});
