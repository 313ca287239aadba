#!/usr/bin/env bash
# @file One-step, idempotent setup for a fresh Debian 12 machine (root): everything WebGPU needs here.
#  - Mesa 25 lavapipe (Vulkan on the CPU) from bookworm-backports: Dawn rejects Debian stable's Mesa 22.
#  - Debian's chromium (headless browser tests; it brings SwiftShader) unless SKIP_CHROMIUM=1.
#  - npm ci: webgpu (Dawn for Node), deno, vitest, esbuild, playwright-core, wgsl_reflect, typescript.
#  - with WITH_TORCH=1: Debian's python3-torch and python3-pil (the PyTorch twin's tests).
# Each step says whether it did something or found it already done.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '[setup] %s\n' "$*"; }
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"

need_apt=0
mesa_ver=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
case "$mesa_ver" in
  25.*|26.*|27.*) say "Mesa Vulkan drivers $mesa_ver already installed (lavapipe)";;
  *) need_apt=1;;
esac
if [ "${SKIP_CHROMIUM:-0}" != 1 ] && ! command -v chromium >/dev/null 2>&1; then need_apt=1; fi

if [ "$need_apt" = 1 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    say "no apt-get: install Mesa >= 25 (lavapipe, mesa-vulkan-drivers) and chromium by hand"; exit 1
  fi
  list=/etc/apt/sources.list.d/bookworm-backports.list
  if [ ! -f "$list" ]; then
    echo 'deb http://deb.debian.org/debian bookworm-backports main' | $SUDO tee "$list" >/dev/null
    say "added bookworm-backports to apt sources"
  fi
  say "apt-get update"
  $SUDO apt-get update -qq
  case "$mesa_ver" in
    25.*|26.*|27.*) ;;
    *) say "installing Mesa 25 lavapipe from bookworm-backports"
       DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null
       say "Mesa Vulkan drivers now $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers)";;
  esac
  if [ "${SKIP_CHROMIUM:-0}" != 1 ] && ! command -v chromium >/dev/null 2>&1; then
    say "installing Debian chromium (headless WebGPU tests via SwiftShader)"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
    say "$(chromium --version 2>/dev/null || echo 'chromium installed')"
  fi
else
  say "system packages already present"
fi

# The PyTorch twin's tests (test/torch, python/) need Debian's torch and Pillow; only on request
# (WITH_TORCH=1; CI sets it), since python3-torch is ~1 GB. Without them those tests are skipped.
if [ "${WITH_TORCH:-0}" = 1 ]; then
  if /usr/bin/python3 -c 'import torch, PIL, numpy' >/dev/null 2>&1; then
    say "python3-torch and python3-pil already installed"
  else
    say "installing python3-torch and python3-pil (WITH_TORCH=1)"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-torch python3-pil >/dev/null
    say "$(/usr/bin/python3 -c 'import torch; print("torch", torch.__version__)')"
  fi
fi

if [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
  say "node_modules up to date with package-lock.json"
else
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
say "done: Node $(node --version), deno $(npx --no-install deno --version 2>/dev/null | head -1 | cut -d' ' -f2)"
