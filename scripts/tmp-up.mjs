import { readFileSync, writeFileSync } from 'node:fs';
import { decode, encode } from 'fast-png';
const [inp, out, k = '3'] = process.argv.slice(2); const s = +k;
const im = decode(readFileSync(inp)); const c = im.channels; const W = im.width * s, H = im.height * s;
const d = new Uint8Array(W * H * c);
for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let ch = 0; ch < c; ch++) d[(y * W + x) * c + ch] = im.data[((Math.floor(y / s)) * im.width + Math.floor(x / s)) * c + ch];
writeFileSync(out, encode({ width: W, height: H, data: d, channels: c, depth: 8 }));
