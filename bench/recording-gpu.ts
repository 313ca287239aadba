/**
 * @file A WebGPU that records and runs nothing: every call the engine makes succeeds at once, buffers
 * read back as zeros. The bench counts dispatches with it where executing them would take minutes
 * (128² on lavapipe), and the JS time of an iteration on it is the engine's own cost per dispatch,
 * without the driver's. It mimics lavapipe's adapter (fixed subgroups of 8) so the engine takes the
 * same kernel paths, and so the same dispatches, as on this machine.
 */

const LIMITS: Record<string, number> = {
  maxStorageBuffersPerShaderStage: 16, maxComputeWorkgroupStorageSize: 32768, maxBufferSize: 2 ** 32,
  maxStorageBufferBindingSize: 2 ** 32 - 4, maxComputeInvocationsPerWorkgroup: 1024, maxComputeWorkgroupSizeX: 1024,
  maxComputeWorkgroupSizeY: 1024, maxComputeWorkgroupSizeZ: 64, maxComputeWorkgroupsPerDimension: 65535,
  minUniformBufferOffsetAlignment: 256, minStorageBufferOffsetAlignment: 256, maxUniformBufferBindingSize: 65536,
  maxBindingsPerBindGroup: 1000, maxBindGroups: 4, maxDynamicUniformBuffersPerPipelineLayout: 16,
};

function buffer(size: number): object {
  let bytes: ArrayBuffer | null = null;
  return {
    size,
    getMappedRange: () => (bytes ??= new ArrayBuffer(size)),
    unmap: () => {},
    destroy: () => {},
    mapAsync: async () => {},
  };
}

const pass = { setPipeline() {}, setBindGroup() {}, dispatchWorkgroups() {}, end() {} };
const encoder = {
  beginComputePass: () => pass, copyBufferToBuffer() {}, resolveQuerySet() {}, finish: () => ({}),
};

function device(features: Set<string>): object {
  return {
    limits: LIMITS, features,
    queue: { writeBuffer() {}, submit() {}, onSubmittedWorkDone: async () => {} },
    createBuffer: (d: { size: number }) => buffer(d.size),
    createCommandEncoder: () => encoder,
    createShaderModule: () => ({ getCompilationInfo: async () => ({ messages: [] }) }),
    createBindGroupLayout: () => ({}),
    createPipelineLayout: () => ({}),
    createComputePipeline: () => ({}),
    createBindGroup: () => ({}),
    createQuerySet: () => ({ destroy() {} }),
    addEventListener() {},
    lost: new Promise(() => {}),
    destroy() {},
  };
}

/** A GPU whose adapter looks like lavapipe's and whose device executes nothing. */
export function recordingGpu(): GPU {
  const features = new Set(['subgroups']);
  const adapter = {
    features, limits: LIMITS,
    info: { vendor: 'recording', architecture: '', device: '', description: 'recording device (executes nothing)', subgroupMinSize: 8, subgroupMaxSize: 8 },
    requestDevice: async () => device(features),
  };
  return { requestAdapter: async () => adapter } as unknown as GPU;
}
