/**
 * @file The GPU device: `init()` finds a WebGPU implementation for the runtime we are in
 * (navigator.gpu in browsers and Deno, the `webgpu` npm package — Dawn — in Node), requests an
 * adapter and a device, and keeps them for every other module. `deviceInfo()` reports what we got.
 */
import { throttleDawnPolling } from './dawn_poll.ts';
import { enableDenoCollection } from './deno_gc.ts';

export interface InitOptions {
  /** Any object with WebGPU's `requestAdapter` (navigator.gpu, Dawn's `create()`, a test double). */
  gpu?: GPU;
  powerPreference?: GPUPowerPreference;
  /** Dawn toggles/options for Node's `create([...])`, e.g. `['adapter=SwiftShader Device (Subzero)']`. */
  dawnOptions?: string[];
  /** Use WGSL subgroup operations where the adapter has them at one fixed SIMD width (default true). */
  subgroups?: boolean;
  /** Size kernels' work for a CPU implementation of WebGPU (default: detected, see `cpuAdapter()`);
   *  false on lavapipe runs the GPU sizing (tests of the GPU paths). */
  cpu?: boolean;
  /** Choose among candidate kernels by timing them (`autotune()`, src/engine/tune.ts); default: on GPUs,
   *  off on CPU adapters, whose kernels are fixed so that training is bit-for-bit the same on every machine. */
  autotune?: boolean;
}

export interface DeviceInfo {
  runtime: 'browser' | 'deno' | 'node' | 'custom';
  adapter: { vendor: string; architecture: string; device: string; description: string };
  features: string[];
  limits: Record<string, number>;
  /** The subgroup width kernels may rely on, or 0: see `subgroupWidth()`. */
  subgroupSize: number;
  /** A CPU implementation of WebGPU (lavapipe, SwiftShader): kernels size their work for a few cores. */
  cpu: boolean;
  /** Kernels are chosen by measurement (see InitOptions.autotune). */
  autotune: boolean;
}

interface Ctx {
  gpu: GPU;
  adapter: GPUAdapter;
  device: GPUDevice;
  info: DeviceInfo;
  /** Errors the device reported asynchronously (validation, out of memory); thrown at the next sync point. */
  errors: string[];
}

let ctx: Ctx | null = null;
let pending: Promise<Ctx> | null = null;
const lostHandlers: ((reason: string) => void)[] = [];

function runtimeName(): DeviceInfo['runtime'] {
  const g = globalThis as { Deno?: unknown; process?: { versions?: { node?: string } }; window?: unknown };
  if (g.Deno) return 'deno';
  if (g.process?.versions?.node) return 'node';
  return 'browser';
}

/** Holds Dawn's `create()` result for the whole process: if it is garbage-collected, Dawn aborts. */
const dawnKeepAlive: unknown[] = [];

async function findGpu(opts: InitOptions): Promise<{ gpu: GPU; runtime: DeviceInfo['runtime'] }> {
  if (opts.gpu) return { gpu: opts.gpu, runtime: 'custom' };
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return { gpu: nav.gpu, runtime: runtimeName() };
  if (runtimeName() === 'node') {
    let mod: { create: (o: string[]) => GPU; globals: object };
    try {
      mod = await import('webgpu');
    } catch (e) {
      throw new Error(
        `init: Node has no built-in WebGPU and the 'webgpu' package (Dawn) could not be loaded (${(e as Error).message}). ` +
          `Fix: run 'npm install' (or 'bash scripts/setup.sh'), or pass init({ gpu }) with your own GPU object.`,
      );
    }
    Object.assign(globalThis, mod.globals); // GPUBufferUsage, GPUShaderStage, ... as in browsers
    const gpu = mod.create(opts.dawnOptions ?? []);
    dawnKeepAlive.push(gpu);
    return { gpu, runtime: 'node' };
  }
  throw new Error(
    `init: this runtime has no WebGPU (navigator.gpu is missing). Fix: use Chrome/Edge 113+ (or Chromium with ` +
      `--enable-unsafe-webgpu), Firefox 141+, Safari 26+, Deno 1.39+, or Node with the 'webgpu' package.`,
  );
}

/**
 * The subgroup width kernels may unroll for: the adapter's when it has the 'subgroups' feature at one
 * fixed width of at most 16 — CPU implementations (lavapipe 8 lanes with AVX2, 4 with SSE), where a load
 * whose address is not a compile-time constant is executed lane by lane, so sharing one load per lane
 * through subgroupBroadcast is much cheaper. GPUs (variable widths, or 32/64) load uniform addresses
 * once anyway: 0 there, and kernels keep their plain loads.
 */
function fixedSubgroupWidth(adapter: GPUAdapter, ai: GPUAdapterInfo, want: boolean): number {
  const { subgroupMinSize: lo, subgroupMaxSize: hi } = ai as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number };
  if (!want || !adapter.features.has('subgroups') || !lo || lo !== hi || lo > 16) return 0;
  return lo;
}

/**
 * Whether the adapter is a CPU implementation: it has fixed subgroups of at most 16 lanes (SIMD widths:
 * lavapipe 8) — as a feature, or only in its info (Deno's wgpu reports lavapipe's sizes without offering
 * the feature) — or names itself one.
 */
function isCpuAdapter(ai: GPUAdapterInfo, sg: number): boolean {
  const { subgroupMinSize: lo, subgroupMaxSize: hi } = ai as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number };
  return sg > 0 || (!!lo && lo === hi && lo <= 16) || /llvmpipe|lavapipe|swiftshader/i.test(`${ai.description ?? ''} ${ai.device ?? ''}`);
}

/** Whether the engine runs on a CPU implementation of WebGPU (see isCpuAdapter). */
export function cpuAdapter(): boolean {
  return ctx?.info.cpu ?? false;
}

/** Initialise the engine once; later calls return the same device. */
export async function init(opts: InitOptions = {}): Promise<DeviceInfo> {
  if (ctx) return ctx.info;
  pending ??= (async () => {
    const { gpu, runtime } = await findGpu(opts);
    // In Node the GPU is Dawn's whether we created it or the caller did (init({ gpu: create([...]) })).
    if (runtimeName() === 'node') throttleDawnPolling();
    // Deno frees WebGPU objects only on a major GC: see deno_gc.ts.
    if (runtimeName() === 'deno') await enableDenoCollection();
    const adapter = await gpu.requestAdapter({ powerPreference: opts.powerPreference ?? 'high-performance' });
    if (!adapter) {
      throw new Error(
        `init: WebGPU is present (${runtime}) but no GPU adapter was found. Fix: on Linux without a GPU install ` +
          `Mesa >= 25 lavapipe (Debian 12: 'apt-get install -t bookworm-backports mesa-vulkan-drivers libvulkan1', ` +
          `as scripts/setup.sh does; Dawn rejects Mesa 22); with a GPU install its Vulkan driver; in a browser ` +
          `check chrome://gpu and enable WebGPU.`,
      );
    }
    // Ask for the adapter's own limits: conv/matmul tiles use large workgroup storage and many bindings.
    const want = ['maxStorageBuffersPerShaderStage', 'maxComputeWorkgroupStorageSize', 'maxBufferSize',
      'maxStorageBufferBindingSize', 'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX',
      'maxComputeWorkgroupSizeY', 'maxComputeWorkgroupsPerDimension'] as const;
    const requiredLimits: Record<string, number> = {};
    for (const k of want) requiredLimits[k] = adapter.limits[k];
    const ai = adapter.info ?? ({} as GPUAdapterInfo);
    const sg = fixedSubgroupWidth(adapter, ai, opts.subgroups ?? true);
    // timestamp-query where the adapter has it: only the profile (profile.ts) uses it.
    const features = [sg ? 'subgroups' : '', adapter.features.has('timestamp-query') ? 'timestamp-query' : ''].filter(Boolean);
    const device = await adapter.requestDevice({ requiredLimits, requiredFeatures: features as GPUFeatureName[] });
    const limits: Record<string, number> = {};
    for (const k in device.limits) {
      const v = (device.limits as unknown as Record<string, unknown>)[k];
      if (typeof v === 'number') limits[k] = v;
    }
    const cpu = opts.cpu ?? isCpuAdapter(ai, sg);
    const c: Ctx = {
      gpu, adapter, device, errors: [],
      info: {
        runtime,
        adapter: { vendor: ai.vendor ?? '', architecture: ai.architecture ?? '', device: ai.device ?? '', description: ai.description ?? '' },
        features: [...adapter.features].map(String).sort(),
        limits,
        subgroupSize: sg,
        cpu,
        autotune: opts.autotune ?? !cpu,
      },
    };
    device.addEventListener('uncapturederror', (ev) => {
      c.errors.push((ev as GPUUncapturedErrorEvent).error.message);
    });
    device.lost.then((info) => {
      if (ctx === c) ctx = null;
      pending = null;
      for (const h of lostHandlers) h(info.message || String(info.reason));
    });
    ctx = c;
    return c;
  })();
  try {
    return (await pending).info;
  } catch (e) {
    pending = null;
    throw e;
  }
}

/** The current device; throws a clear error before `init()`. */
export function gpuDevice(): GPUDevice {
  if (!ctx) throw new Error('sagan-webgpu: no GPU device yet. Fix: `await init()` before creating tensors.');
  return ctx.device;
}

/** The fixed subgroup width kernels may rely on (0: none; kernels then use no subgroup operations). */
export function subgroupWidth(): number {
  return ctx?.info.subgroupSize ?? 0;
}

export function deviceInfo(): DeviceInfo {
  if (!ctx) throw new Error('deviceInfo: call `await init()` first.');
  return ctx.info;
}

/** Errors the device reported since the last call (and clears them). */
export function takeDeviceErrors(): string[] {
  if (!ctx) return [];
  const e = ctx.errors;
  ctx.errors = [];
  return e;
}

/** Called with the reason when the device is lost (a browser may reset the GPU). */
export function onDeviceLost(fn: (reason: string) => void): void {
  lostHandlers.push(fn);
}

/** Destroys the device (tests call this in afterAll); a later `init()` makes a new one. */
export function destroyDevice(): void {
  if (!ctx) return;
  const c = ctx;
  ctx = null;
  pending = null;
  c.device.destroy();
}
