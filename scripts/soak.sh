#!/usr/bin/env bash
# @file Soak test (by hand, not in CI; issue 13): in Node and in Deno, trains STEPS iterations at a
# tiny size once uninterrupted (sampling RSS and memory mappings every second), then again while
# killing the process with kill -9 KILLS times at random moments and resuming it. Checks at the end:
# the interrupted log has one line per iteration, its losses equal the uninterrupted run's exactly,
# RSS and mappings are flat over the uninterrupted run, and no temporary files are left.
#   bash scripts/soak.sh            # STEPS=1000 KILLS=10, both runtimes (~tens of minutes on 2 cores)
#   STEPS=100 KILLS=3 bash scripts/soak.sh deno
set -uo pipefail
cd "$(dirname "$0")/.."
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
STEPS=${STEPS:-1000}
KILLS=${KILLS:-10}
ROOT=${SOAK_OUT:-/tmp/sagan-soak}
RUNTIMES=${*:-node deno}
ARGS=(--size 16 --width 4 --res 1 --batch 2 --n-critic 1 --data-count 64 --log-every 1 --ckpt-every 10 --sample-every 1000000 --quiet --steps "$STEPS")
node scripts/build.mjs > /dev/null || exit 1
fail=0

sagan() { # runtime, args… (exec: $! is the trainer itself)
  local rt=$1; shift
  if [ "$rt" = node ]; then exec node dist/node/cli.js "$@"; else exec node_modules/.bin/deno run -A --no-lock src/sagan/cli.ts "$@"; fi
}
lines() { [ -f "$1" ] && wc -l < "$1" || echo 0; }

for rt in $RUNTIMES; do
  dir="$ROOT/$rt"; rm -rf "$dir"; mkdir -p "$dir"
  echo "[soak] $rt: $STEPS iterations uninterrupted"
  (sagan "$rt" train "${ARGS[@]}" --out "$dir/ref" 2> "$dir/ref.err") & pid=$!
  while kill -0 "$pid" 2> /dev/null; do
    echo "$(lines "$dir/ref/log.jsonl") $(wc -l < /proc/$pid/maps 2> /dev/null) $(awk '/VmRSS/{print $2}' /proc/$pid/status 2> /dev/null)" >> "$dir/ref.mem"
    sleep 1
  done
  wait "$pid" || { echo "[soak] $rt: the uninterrupted run failed:"; tail -5 "$dir/ref.err"; fail=1; continue; }

  echo "[soak] $rt: $STEPS iterations, killed $KILLS times at random moments"
  first=1 kills=0
  while :; do
    resume=(); [ $first = 0 ] && resume=(--resume)
    (sagan "$rt" train "${ARGS[@]}" --out "$dir/run" "${resume[@]}" 2>> "$dir/run.err") & pid=$!
    first=0
    if [ $kills -lt $KILLS ]; then
      now=$(lines "$dir/run/log.jsonl")
      # spread the remaining kills over the remaining steps, so all KILLS land before the run ends
      at=$(( now + 1 + RANDOM % ((STEPS - now) / (KILLS - kills + 1) + 1) ))
      while kill -0 "$pid" 2> /dev/null && [ "$(lines "$dir/run/log.jsonl")" -lt "$at" ]; do sleep 0.05; done
      sleep "0.$(( RANDOM % 10 ))" # anywhere in an iteration, a log append or a checkpoint write
      if kill -9 "$pid" 2> /dev/null; then
        kills=$((kills + 1))
        wait "$pid" 2> /dev/null
        echo "[soak] $rt: kill -9 #$kills at log line $(lines "$dir/run/log.jsonl"); temps: $(ls "$dir/run" | grep -c '\.tmp$')"
        continue
      fi
    fi
    wait "$pid" || { echo "[soak] $rt: a resumed run failed:"; tail -5 "$dir/run.err"; fail=1; }
    break
  done

  node - "$dir" "$STEPS" "$kills" <<'JS' || fail=1
const fs = require('fs');
const [dir, steps, kills] = [process.argv[2], +process.argv[3], +process.argv[4]];
const log = (p) => fs.readFileSync(p, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const ref = log(`${dir}/ref/log.jsonl`), run = log(`${dir}/run/log.jsonl`);
const problems = [];
const stepsOk = run.length === steps && run.every((r, i) => r.step === i + 1);
if (!stepsOk) problems.push(`log is not one line per step (${run.length} lines)`);
const keys = ['d_loss', 'd_adv', 'gp', 'd_cls', 'g_loss', 'g_adv', 'g_cls', 'rec', 'idt', 'mask_mean', 'lr'];
const diff = run.filter((r, i) => !ref[i] || keys.some((k) => r[k] !== ref[i][k]));
if (diff.length) problems.push(`${diff.length} steps differ from the uninterrupted run (first: ${diff[0].step})`);
const mem = fs.readFileSync(`${dir}/ref.mem`, 'utf8').trim().split('\n').map((l) => l.split(' ').map(Number)).filter((m) => m.length === 3 && m.every((v) => v > 0));
const q = Math.floor(mem.length / 4), max = (a, j) => Math.max(...a.map((m) => m[j]));
const early = mem.slice(q, 2 * q), late = mem.slice(3 * q);
const [m1, m2, r1, r2] = [max(early, 1), max(late, 1), max(early, 2) / 1024, max(late, 2) / 1024];
// Deno's mappings rise and fall by up to ~8,192 between collections (src/engine/deno_gc.ts): allow that sawtooth.
if (m2 > m1 + 10000 || r2 > r1 + 64) problems.push(`memory grew: mappings ${m1} → ${m2}, RSS ${r1.toFixed(0)} → ${r2.toFixed(0)} MB`);
const temps = fs.readdirSync(`${dir}/run`).filter((f) => f.endsWith('.tmp'));
if (temps.length) problems.push(`temporary files left: ${temps.join(', ')}`);
console.log(`[soak] ${dir.split('/').pop()}: ${kills} kills; log ${run.length} lines, one per step: ${stepsOk}; ` +
  `losses equal to the uninterrupted run: ${diff.length === 0}; mappings ${m1} → ${m2}, RSS ${r1.toFixed(0)} → ${r2.toFixed(0)} MB ` +
  `(2nd vs 4th quarter of the uninterrupted run); temp files left: ${temps.length}` + (problems.length ? `\n[soak] FAILED: ${problems.join('; ')}` : ''));
process.exit(problems.length ? 1 : 0);
JS
done
[ $fail = 0 ] && echo "[soak] PASSED" || echo "[soak] FAILED"
exit $fail
