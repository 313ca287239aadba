import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  init, destroyDevice, tensor, readAll, tidy, manualSeed, randn, nn,
  serializeSafetensors, parseSafetensors, saveSafetensors, loadSafetensors, saveSafetensorsFile, loadSafetensorsFile,
  type HostTensor, type Tensor,
} from '../../src/index.ts';

beforeAll(async () => { await init(); });
afterAll(() => destroyDevice());

const enc = new TextEncoder();
const f32bytes = (v: number[]) => new Uint8Array(Float32Array.from(v).buffer);

/** A safetensors file from a header object and raw data, written here independently of the module. */
function build(header: Record<string, unknown>, data: Uint8Array, opts: { pad?: boolean; length?: number } = {}): Uint8Array {
  let h = enc.encode(JSON.stringify(header));
  if (opts.pad !== false) {
    const padded = new Uint8Array(Math.ceil(h.length / 8) * 8).fill(0x20);
    padded.set(h);
    h = padded;
  }
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(opts.length ?? h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

describe('safetensors format', () => {
  it('writes byte-exactly what the reference implementation writes', () => {
    // Header text 65 bytes → 7 spaces of padding → N = 72; then the six f32 values.
    const header = '{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}';
    expect(header.length).toBe(65);
    const want = new Uint8Array([72, 0, 0, 0, 0, 0, 0, 0, ...enc.encode(header), ...enc.encode(' '.repeat(7)), ...f32bytes([0, 1, 2, 3, 4, 5])]);
    const got = serializeSafetensors({ attn0: { dtype: 'F32', shape: [1, 1, 2, 3], data: Float32Array.of(0, 1, 2, 3, 4, 5) } });
    expect(Array.from(got)).toEqual(Array.from(want));
    // No tensors, metadata only: '{"__metadata__":{"framework":"pt"}}' is 35 bytes → N = 40.
    const meta = serializeSafetensors({}, { framework: 'pt' });
    expect(Array.from(meta)).toEqual([40, 0, 0, 0, 0, 0, 0, 0, ...enc.encode('{"__metadata__":{"framework":"pt"}}     ')]);
    expect(Array.from(serializeSafetensors({}))).toEqual([8, 0, 0, 0, 0, 0, 0, 0, ...enc.encode('{}      ')]);
  });

  it('lays tensors out by descending alignment, then name, each aligned to its element size', () => {
    const bytes = serializeSafetensors({
      b: { dtype: 'U8', shape: [3], data: Uint8Array.of(1, 2, 3) },
      d: { dtype: 'F32', shape: [2], data: Float32Array.of(1, 2) },
      a: { dtype: 'F32', shape: [1], data: Float32Array.of(3) },
      c: { dtype: 'F64', shape: [1], data: Float64Array.of(4) },
      e: { dtype: 'F16', shape: [1], data: Uint16Array.of(0x3c00) },
    });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(Object.keys(header)).toEqual(['c', 'a', 'd', 'e', 'b']);
    expect(header.c.data_offsets).toEqual([0, 8]);
    expect(header.a.data_offsets).toEqual([8, 12]);
    expect(header.d.data_offsets).toEqual([12, 20]);
    expect(header.e.data_offsets).toEqual([20, 22]);
    expect(header.b.data_offsets).toEqual([22, 25]);
    expect(bytes.length).toBe(8 + n + 25);
  });

  it('reads every supported dtype, and converts to f32 on the GPU', async () => {
    const tensors: Record<string, HostTensor> = {
      f32: { dtype: 'F32', shape: [2], data: Float32Array.of(1.5, -2) },
      // 1, −2, 0.5, 65504 (max half), 2^−24 (smallest subnormal), −0
      f16: { dtype: 'F16', shape: [2, 3], data: Uint16Array.of(0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0x8000) },
      bf16: { dtype: 'BF16', shape: [2], data: Uint16Array.of(0x3f80, 0xc020) }, // 1, −2.5
      f64: { dtype: 'F64', shape: [2], data: Float64Array.of(0.1, -1e10) },
      i64: { dtype: 'I64', shape: [3], data: BigInt64Array.of(-3n, 5n, 1n << 40n) },
      i32: { dtype: 'I32', shape: [2], data: Int32Array.of(-7, 123456) },
      u8: { dtype: 'U8', shape: [3], data: Uint8Array.of(0, 128, 255) },
      bool: { dtype: 'BOOL', shape: [2], data: Uint8Array.of(1, 0) },
      scalar: { dtype: 'F32', shape: [], data: Float32Array.of(7) },
      empty: { dtype: 'F32', shape: [0, 3], data: new Float32Array(0) },
    };
    const bytes = serializeSafetensors(tensors, { note: 'dtypes' });
    const parsed = parseSafetensors(bytes);
    expect(parsed.metadata).toEqual({ note: 'dtypes' });
    for (const [k, t] of Object.entries(tensors)) {
      expect(parsed.tensors[k].dtype, k).toBe(t.dtype);
      expect(parsed.tensors[k].shape, k).toEqual(t.shape);
      expect(Array.from(parsed.tensors[k].data as ArrayLike<number>), k).toEqual(Array.from(t.data as ArrayLike<number>));
    }
    const want: Record<string, number[]> = {
      f32: [1.5, -2], f16: [1, -2, 0.5, 65504, 2 ** -24, -0], bf16: [1, -2.5], f64: [Math.fround(0.1), Math.fround(-1e10)],
      i64: [-3, 5, 2 ** 40], i32: [-7, 123456], u8: [0, 128, 255], bool: [1, 0], scalar: [7], empty: [],
    };
    await tidy(async () => {
      const { tensors: gpu, metadata } = loadSafetensors(bytes);
      expect(metadata).toEqual({ note: 'dtypes' });
      const names = Object.keys(want);
      const vals = await readAll(names.map((k) => gpu[k]));
      names.forEach((k, i) => {
        expect([...gpu[k].shape], k).toEqual(tensors[k].shape);
        expect(Array.from(vals[i]), k).toEqual(want[k]);
      });
    });
  });

  it('never reads past the bytes it is given (a view into a larger buffer)', () => {
    const file = serializeSafetensors({ w: { dtype: 'F32', shape: [2], data: Float32Array.of(1, 2) } });
    const big = new Uint8Array(file.length + 16).fill(0xaa);
    big.set(file, 3);
    const view = big.subarray(3, 3 + file.length);
    expect(Array.from(parseSafetensors(view).tensors.w.data as Float32Array)).toEqual([1, 2]);
    // The same view cut short: the missing bytes exist in the underlying buffer but must not be used.
    expect(() => parseSafetensors(big.subarray(3, 3 + file.length - 4))).toThrow(/'w'.*truncated/);
  });

  it('copies each tensor out of a Node Buffer (whose slice() is a view into shared pool memory)', () => {
    const file = serializeSafetensors({ a: { dtype: 'F32', shape: [1], data: Float32Array.of(7) }, b: { dtype: 'F32', shape: [2], data: Float32Array.of(1, 2) } });
    const buf = Buffer.from(file); // small Buffers live inside one shared 8 KiB pool
    const { tensors } = parseSafetensors(buf);
    expect(Array.from(tensors.a.data as Float32Array)).toEqual([7]);
    expect(Array.from(tensors.b.data as Float32Array)).toEqual([1, 2]);
  });

  const data8 = new Uint8Array(8);
  const malformed: [string, () => Uint8Array, RegExp][] = [
    ['a file shorter than the length field', () => new Uint8Array(5), /5 bytes: too short/],
    ['a header length over 100 MB', () => build({}, new Uint8Array(0), { length: 100_000_001 }), /header length 100000001 exceeds the 100 MB limit/],
    ['a header length past the end of the file', () => build({}, new Uint8Array(0), { length: 64 }), /header length 64 is longer than the file/],
    ['a header that is not JSON', () => build({}, new Uint8Array(0), { length: 0 }), /not valid JSON/],
    ['a header that is not UTF-8', () => {
      const b = build({ x: 'ab' }, new Uint8Array(0));
      b[14] = 0xff;
      return b;
    }, /not valid UTF-8/],
    ['a header that is a JSON array', () => build([] as unknown as Record<string, unknown>, new Uint8Array(0)), /not a JSON object/],
    ['truncated data', () => build({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, data8), /tensor 'w'.*truncated.*up to 16.*only 8/],
    ['overlapping offsets', () => build({
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
    }, data8), /tensor 'b'.*overlap tensor 'a'/],
    ['a gap between tensors', () => build({
      a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
      b: { dtype: 'U8', shape: [2], data_offsets: [6, 8] },
    }, data8), /tensor 'b'.*gap of 2 bytes after tensor 'a'/],
    ['offsets out of order (end before begin)', () => build({ w: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }, data8), /tensor 'w'.*out of order/],
    ['offsets that do not match shape × dtype', () => build({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, data8), /tensor 'w'.*span 8 bytes.*needs 12/],
    ['an unknown dtype', () => build({ w: { dtype: 'F8_E4M3', shape: [8], data_offsets: [0, 8] } }, data8), /tensor 'w'.*unknown or unsupported dtype "F8_E4M3"/],
    ['a shape that is not integers', () => build({ w: { dtype: 'U8', shape: [2.5], data_offsets: [0, 8] } }, data8), /tensor 'w'.*shape \[2.5\]/],
    ['data left over after the last tensor', () => build({ w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, data8), /4 bytes of data after the last tensor/],
    ['a non-string metadata value', () => build({ __metadata__: { epoch: 3 } }, new Uint8Array(0)), /__metadata__ value of 'epoch'/],
  ];
  for (const [what, make, msg] of malformed) {
    it(`rejects ${what}`, () => {
      expect(() => parseSafetensors(make())).toThrow(msg);
    });
  }

  it('accepts header keys in any order as long as the offsets tile the data', () => {
    const b = build({
      second: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
      first: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
    }, f32bytes([1, 2]));
    const { tensors } = parseSafetensors(b);
    expect(Array.from(tensors.first.data as Float32Array)).toEqual([1]);
    expect(Array.from(tensors.second.data as Float32Array)).toEqual([2]);
  });

  it('rejects bad input when writing', () => {
    expect(() => serializeSafetensors({ w: { dtype: 'F32', shape: [3], data: Float32Array.of(1, 2) } })).toThrow(/'w'.*2 values.*\[3\]/);
    expect(() => serializeSafetensors({ w: { dtype: 'F32', shape: [1], data: Float64Array.of(1) } })).toThrow(/'w'.*Float32Array/);
    expect(() => serializeSafetensors({ __metadata__: { dtype: 'F32', shape: [1], data: Float32Array.of(1) } })).toThrow(/reserved/);
  });
});

describe('safetensors with the engine', () => {
  class Net extends nn.Module {
    readonly main: nn.Sequential;
    constructor() {
      super();
      this.main = this.registerModule('main', new nn.Sequential(
        new nn.Conv2d(2, 4, 3, { padding: 1 }), new nn.InstanceNorm2d(4, { affine: true }), new nn.LeakyReLU(0.2),
        new nn.ConvTranspose2d(4, 3, 4, { stride: 2, padding: 1 }), new nn.Tanh()));
    }
    forward(x: Tensor): Tensor {
      return this.main.call(x);
    }
  }

  it("round-trips a module: stateDict → bytes → a fresh module gives identical outputs", async () => {
    await tidy(async () => {
      manualSeed(1);
      const a = new Net();
      manualSeed(2);
      const b = new Net();
      const x = randn([1, 2, 4, 4]);
      const bytes = await saveSafetensors(a.stateDict(), { format: 'pt' });
      const { tensors, metadata } = loadSafetensors(bytes);
      expect(metadata).toEqual({ format: 'pt' });
      const [before] = await readAll([b.call(x)]);
      b.loadStateDict(tensors);
      const [ya, yb] = await readAll([a.call(x), b.call(x)]);
      expect(Array.from(yb)).toEqual(Array.from(ya));
      expect(Array.from(before)).not.toEqual(Array.from(ya)); // the two seeds really differed
      // The host path (CPU parse, no GPU tensors) loads the same values.
      manualSeed(3);
      const c = new Net();
      c.loadStateDict(parseSafetensors(bytes).tensors);
      const [yc] = await readAll([c.call(x)]);
      expect(Array.from(yc)).toEqual(Array.from(ya));
      for (const m of [a, b, c]) m.dispose();
    });
  });

  it('writes and reads files atomically', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'st-'));
    try {
      const path = join(dir, 'model.safetensors');
      await writeFile(path, 'old contents');
      await tidy(async () => {
        await saveSafetensorsFile(path, { w: tensor([1, 2, 3, 4], [2, 2]), h: { dtype: 'I32', shape: [1], data: Int32Array.of(9) } }, { step: '5' });
        expect(await readdir(dir)).toEqual(['model.safetensors']); // the temp file was renamed, nothing left behind
        const { tensors, metadata } = await loadSafetensorsFile(path);
        expect(metadata).toEqual({ step: '5' });
        const [w, h] = await readAll([tensors.w, tensors.h]);
        expect(Array.from(w)).toEqual([1, 2, 3, 4]);
        expect(Array.from(h)).toEqual([9]);
      });
      await writeFile(path, new Uint8Array(3));
      await expect(loadSafetensorsFile(path)).rejects.toThrow(`${path}: safetensors: file is 3 bytes`);
      await expect(saveSafetensorsFile(join(dir, 'missing-dir', 'x.safetensors'), {})).rejects.toThrow(/ENOENT/);
      expect((await readdir(dir)).sort()).toEqual(['model.safetensors']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
