/**
 * @file What to tell a user whose browser gives the page no WebGPU: the cause we can see (an insecure
 * origin, an old browser version, a browser that keeps WebGPU behind a flag) and the one thing to do.
 */

/** Advice for a browser where `navigator.gpu` is missing. */
export function missingWebGPUHelp(ua: string, secure: boolean, host: string): string {
  if (!secure) {
    return `WebGPU is only available on secure pages: this one is served from ${host}. ` +
      'Open it as http://127.0.0.1:… or http://localhost:… (what `npm run web` prints), or over https.';
  }
  const ver = (re: RegExp) => Number(ua.match(re)?.[1] ?? NaN);
  const edge = ver(/Edg\/(\d+)/), chrome = ver(/Chrom(?:e|ium)\/(\d+)/), firefox = ver(/Firefox\/(\d+)/);
  const safari = /Safari\//.test(ua) && !/Chrom(e|ium)\//.test(ua) ? ver(/Version\/(\d+)/) : NaN;
  const linux = /Linux/.test(ua) && !/Android/.test(ua);
  if (Number.isFinite(edge) || Number.isFinite(chrome)) {
    const name = Number.isFinite(edge) ? 'Edge' : 'Chrome', v = Number.isFinite(edge) ? edge : chrome;
    if (v < 113) return `${name} ${v} has no WebGPU: update to ${name} 113 or newer.`;
    if (linux) {
      return `${name} ${v} on Linux keeps WebGPU behind a flag: open chrome://flags/#enable-unsafe-webgpu, set it to ` +
        'Enabled (and chrome://flags/#enable-vulkan), relaunch — or start it with ' +
        '--enable-unsafe-webgpu --enable-features=Vulkan.';
    }
    return `${name} ${v} has WebGPU but it is switched off here (blocked GPU or policy): see chrome://gpu, ` +
      'or enable chrome://flags/#enable-unsafe-webgpu and relaunch.';
  }
  if (Number.isFinite(firefox)) {
    return firefox < 141
      ? `Firefox ${firefox} has no WebGPU by default: update to Firefox 141 or newer, or set dom.webgpu.enabled to true in about:config.`
      : `Firefox ${firefox} has WebGPU only on some platforms yet: set dom.webgpu.enabled to true in about:config and restart.`;
  }
  if (Number.isFinite(safari)) {
    return safari < 26
      ? `Safari ${safari} has WebGPU off: update to Safari 26, or enable Develop ▸ Feature Flags ▸ WebGPU.`
      : 'Safari has WebGPU off here: enable Develop ▸ Feature Flags ▸ WebGPU.';
  }
  return 'This browser has no WebGPU. Use Chrome or Edge 113+, Firefox 141+ or Safari 26+.';
}
