/**
 * @file What the web app tells a browser without WebGPU, per browser and version (pure function; the
 * e2e test checks the page shows it).
 */
import { describe, it, expect } from 'vitest';
import { missingWebGPUHelp } from '../../src/web/webgpu-help.ts';

const UA = {
  chromeLinux: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  chromeOld: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/110.0.0.0 Safari/537.36',
  chromeWin: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  edge: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/112.0.0.0 Safari/537.36 Edg/112.0.1722.48',
  headless: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36',
  firefoxOld: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  firefoxNew: 'Mozilla/5.0 (X11; Linux x86_64; rv:142.0) Gecko/20100101 Firefox/142.0',
  safari18: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.2 Safari/605.1.15',
  other: 'SomeBrowser/1.0',
};

describe('missingWebGPUHelp', () => {
  it('names the flag, the version or the setting to change', () => {
    const help = (ua: string) => missingWebGPUHelp(ua, true, '127.0.0.1:8080');
    expect(help(UA.chromeLinux)).toMatch(/^Chrome 131 on Linux .*chrome:\/\/flags\/#enable-unsafe-webgpu.*--enable-unsafe-webgpu/);
    expect(help(UA.headless)).toMatch(/^Chrome 156 on Linux/);
    expect(help(UA.chromeOld)).toBe('Chrome 110 has no WebGPU: update to Chrome 113 or newer.');
    expect(help(UA.chromeWin)).toMatch(/^Chrome 131 has WebGPU but it is switched off here .*chrome:\/\/gpu/);
    expect(help(UA.edge)).toBe('Edge 112 has no WebGPU: update to Edge 113 or newer.');
    expect(help(UA.firefoxOld)).toMatch(/^Firefox 128 .*Firefox 141 or newer.*dom\.webgpu\.enabled/);
    expect(help(UA.firefoxNew)).toMatch(/^Firefox 142 .*dom\.webgpu\.enabled/);
    expect(help(UA.safari18)).toMatch(/^Safari 18 .*Safari 26.*Feature Flags ▸ WebGPU/);
    expect(help(UA.other)).toMatch(/Chrome or Edge 113\+, Firefox 141\+ or Safari 26\+/);
  });

  it('points an insecure origin at 127.0.0.1 first, whatever the browser', () => {
    expect(missingWebGPUHelp(UA.chromeWin, false, '192.168.1.5:8080')).toMatch(/^WebGPU is only available on secure pages: this one is served from 192\.168\.1\.5:8080\. Open it as http:\/\/127\.0\.0\.1/);
  });
});
