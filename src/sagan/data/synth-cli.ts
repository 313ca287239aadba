/**
 * @file Command line for the synthetic CelebA-layout writer (an entry point: importing it runs it).
 *   deno run -A src/sagan/data/synth-cli.ts --out data/synth --count 10000 [--seed 0] [--size 178x218]
 *        [--format png|jpg] [--quality 95] [--no-masks] [--freq Eyeglasses=0.3,Smiling=0.5]
 *        [--partition 0.8,0.1,0.1]
 * (Node: bundle with esbuild first, as scripts/build.mjs does for the other entry points.)
 */

import process from 'node:process';
import { SAGAN_ATTRIBUTES, type SaganAttribute } from './attrs.ts';
import { synthesizeCelebA, type SynthOptions } from './synth.ts';

const USAGE = 'usage: synth-cli.ts --out DIR --count N [--seed S] [--size WxH] [--format png|jpg] [--quality Q]\n' +
  '                    [--no-masks] [--freq Attr=p,…] [--partition train,val,test]';

/** A usage error: the message and the usage on stderr, exit 2. (`--help` is not an error: stdout, exit 0.) */
function usage(msg: string): never {
  console.error(`synth: ${msg}\n${USAGE}`);
  process.exit(2);
}

const args = process.argv.slice(2);
const opts: SynthOptions = { count: 0 };
let out = '';
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  const val = (): string => args[++i] ?? usage(`${a} needs a value`);
  const num = (): number => {
    const v = Number(val());
    if (!Number.isFinite(v)) usage(`${a}: not a number`);
    return v;
  };
  switch (a) {
    case '--out': out = val(); break;
    case '--count': opts.count = num(); break;
    case '--seed': opts.seed = num(); break;
    case '--size': {
      const m = /^(\d+)x(\d+)$/.exec(val());
      if (!m) usage('--size wants WxH, e.g. 178x218');
      opts.width = Number(m[1]);
      opts.height = Number(m[2]);
      break;
    }
    case '--format': {
      const f = val();
      if (f !== 'png' && f !== 'jpg') usage('--format is png or jpg');
      opts.format = f;
      break;
    }
    case '--quality': opts.quality = num(); break;
    case '--no-masks': opts.masks = false; break;
    case '--freq': {
      const freq: Partial<Record<SaganAttribute, number>> = {};
      for (const kv of val().split(',')) {
        const [k, v] = kv.split('=');
        if (!(SAGAN_ATTRIBUTES as readonly string[]).includes(k!)) usage(`--freq: unknown attribute '${k}' (one of ${SAGAN_ATTRIBUTES.join(', ')})`);
        freq[k as SaganAttribute] = Number(v);
      }
      opts.frequencies = freq;
      break;
    }
    case '--partition': {
      const p = val().split(',').map(Number);
      if (p.length !== 3 || p.some((x) => !Number.isFinite(x))) usage('--partition wants three fractions');
      opts.partition = [p[0]!, p[1]!, p[2]!];
      break;
    }
    case '-h': case '--help':
      console.log(USAGE);
      process.exit(0);
    // falls through (exit does not return)
    default: usage(`unknown argument ${a}`);
  }
}
if (!out) usage('--out is required');
if (!(opts.count >= 1)) usage('--count must be ≥ 1');
let lastPct = -1;
opts.onProgress = (done, total) => {
  const pct = Math.floor((100 * done) / total);
  if (pct !== lastPct && pct % 10 === 0) {
    lastPct = pct;
    console.error(`synth: ${done}/${total}`);
  }
};
const s = await synthesizeCelebA(out, opts);
console.log(`wrote ${s.count} faces to ${s.dir} in ${s.seconds.toFixed(1)} s; positives: ${JSON.stringify(s.positives)}`);
