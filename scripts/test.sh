#!/usr/bin/env bash
# @file The test command (`npm test` runs setup first, then this): typecheck, build, the whole
# vitest suite (ops, autograd, runtimes: Node + Dawn, Deno, headless Chromium). Exits non-zero on
# the first failing stage and says which.
set -uo pipefail
cd "$(dirname "$0")/.."
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
t0=$SECONDS
stage() {
  local name=$1; shift
  printf '\n[test] === %s: %s\n' "$name" "$*"
  if ! "$@"; then
    printf '\n[test] FAILED at %s after %ss\n' "$name" $((SECONDS - t0))
    exit 1
  fi
}
stage typecheck npx --no-install tsc --noEmit -p tsconfig.json
stage build node scripts/build.mjs
stage vitest npx --no-install vitest run
printf '\n[test] PASSED: typecheck, build and the vitest suite in %ss\n' $((SECONDS - t0))
