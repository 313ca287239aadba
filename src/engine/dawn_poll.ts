/**
 * @file Tames Dawn's event polling in Node. While any GPU promise is pending (a readback's mapAsync,
 * onSubmittedWorkDone), the `webgpu` package re-arms a native `setImmediate` callback that ticks the
 * device — a busy loop that keeps one CPU core at 100 % for as long as the GPU works. On a software
 * adapter (lavapipe) that core is one the "GPU" needed: measured on 2 cores, a SaGAN iteration took
 * 1.77 s with the spin and 1.25 s without it.
 *
 * The fix: Dawn looks `setImmediate` up on the global object for every tick, so we wrap it once. A
 * native callback (only Dawn's are native) runs immediately during the first 2 ms of a wait, so
 * short readbacks stay fast; after that it is deferred by 1 ms per tick, which costs a long wait at
 * most ~1 ms of latency and frees the core. Every other caller's setImmediate is untouched.
 */
const SPIN_MS = 2;
/** A gap this long between Dawn ticks means the previous wait ended; the next tick starts a new one. */
const NEW_WAIT_MS = 5;

let installed = false;

export function throttleDawnPolling(): void {
  const g = globalThis as { setImmediate?: (fn: (...a: unknown[]) => void, ...args: unknown[]) => unknown };
  const original = g.setImmediate;
  if (installed || typeof original !== 'function') return;
  installed = true;
  let waitStart = 0, lastTick = -Infinity;
  const wrapped = (fn: (...a: unknown[]) => void, ...args: unknown[]) => {
    if (typeof fn !== 'function' || !Function.prototype.toString.call(fn).includes('[native code]')) return original(fn, ...args);
    const now = performance.now();
    if (now - lastTick > NEW_WAIT_MS) waitStart = now;
    lastTick = now;
    return now - waitStart < SPIN_MS ? original(fn, ...args) : setTimeout(fn, 1, ...args);
  };
  // Keep setImmediate[util.promisify.custom] and friends working for everyone else.
  for (const key of Reflect.ownKeys(original)) {
    if (key !== 'length' && key !== 'name' && key !== 'prototype') Object.defineProperty(wrapped, key, Object.getOwnPropertyDescriptor(original, key)!);
  }
  g.setImmediate = wrapped;
}
