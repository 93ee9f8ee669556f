#!/usr/bin/env bash
# The native tensor engine: @tensorflow/tfjs-node(-gpu) 4.22.0 with its binding built against the TensorFlow C API
# inside PyPI's TensorFlow 2.21.0 wheel (the package's own install script downloads libtensorflow 2.9.1, which fails
# offline and predates Hopper GPUs). Facts and flags: ../shared/design/toolchain.md, "tfjs-node on TensorFlow 2.21".
#   infra/tfjs-node.sh cpu   tensorflow-cpu wheel  -> .tools/tfjs-node/cpu   (infra/bootstrap.sh, every run)
#   infra/tfjs-node.sh gpu   tensorflow wheel + the nvidia-*-cu12 wheels' libraries -> .tools/tfjs-node/gpu
#                            (make deps-gpu; the host then needs only the NVIDIA driver)
# Everything lives outside node_modules, so `npm ci` leaves it alone; lib/tensor/backend.ts loads it from there.
# Idempotent: a stamp names what was built (package, TensorFlow, Node ABI); a matching stamp returns at once.
# Prints one line saying what is ready; exits non-zero with one line saying why when it cannot build.
# Env: FSFM_TOOLS_DIR (.tools), FSFM_WHEEL_CACHE (<tools>/cache/wheels), JOBS (2).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"
die() { echo "[deps] native engine ($variant) not built: $*" >&2; exit 1; }

variant="${1:-cpu}"
TFJS_VERSION=4.22.0
TF_VERSION=2.21.0
case "$variant" in
  cpu) pkg_name=tfjs-node ;;
  gpu) pkg_name=tfjs-node-gpu ;;
  *) echo "usage: $0 [cpu|gpu]" >&2; exit 2 ;;
esac
[[ "$(uname -s)/$(uname -m)" == Linux/x86_64 ]] || die "PyPI's TensorFlow wheels used here are for Linux x86_64 only (this is $(uname -s)/$(uname -m))"

tools="$(mkdir -p "${FSFM_TOOLS_DIR:-$root/.tools}" && cd "${FSFM_TOOLS_DIR:-$root/.tools}" && pwd)"
cache="${FSFM_WHEEL_CACHE:-$tools/cache/wheels}"
dest="$tools/tfjs-node/$variant"
napi="$(node -p 'Math.min(8, +process.versions.napi)')"  # the package's highest napi_versions entry is 8
key="@tensorflow/$pkg_name $TFJS_VERSION tensorflow $TF_VERSION napi-v$napi node-abi $(node -p process.versions.modules) $(uname -m)"
ready() { [[ -f "$dest/.built" && "$(cat "$dest/.built")" == "$key" && -f "$dest/node_modules/@tensorflow/$pkg_name/lib/napi-v$napi/tfjs_binding.node" ]]; }
report() { echo "[deps] tensor engine ready: $pkg_name (TensorFlow $TF_VERSION $([[ $variant == gpu ]] && echo CUDA 12 || echo CPU)) in ${dest#$root/}" >&2; }

if ready; then report; exit 0; fi
mkdir -p "$tools/tfjs-node" "$cache"
# Worktrees and parallel bootstraps may share the tools folder: one builder at a time, then re-check.
exec 9>"$tools/tfjs-node/.lock"
flock 9
if ready; then report; exit 0; fi

for t in node npm python3 unzip make g++ strip nm flock; do command -v "$t" >/dev/null || die "$t is missing"; done
gyp="$root/node_modules/.bin/node-gyp"
[[ -x "$gyp" ]] || die "node-gyp is missing from node_modules (run npm ci)"
nodedir=""
for p in "$(node -p 'process.config.variables.node_prefix || ""')" "$(dirname "$(dirname "$(node -p process.execPath)")")" /usr /usr/local; do
  [[ -n "$p" && -f "$p/include/node/node_api.h" && -f "$p/include/node/common.gypi" ]] && { nodedir="$p"; break; }
done
[[ -n "$nodedir" ]] || die "no Node.js headers (<prefix>/include/node/node_api.h) next to $(node -p process.execPath)"

# --- 1. The wheels, pinned by version and sha256 (infra/tfjs-node/<variant>/wheels.txt), cached across builds.
echo "[deps] building the native engine $pkg_name on TensorFlow $TF_VERSION (one-off, a few minutes)" >&2
wheel_path() { echo "$cache/$1"; }
while read -r file sha url; do
  [[ -z "$file" || "$file" == \#* ]] && continue
  if [[ -f "$cache/$file" ]] && echo "$sha  $cache/$file" | sha256sum --quiet -c - 2>/dev/null; then continue; fi
  echo "[deps] downloading $file" >&2
  python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
      --python-version 3.11 --platform manylinux_2_27_x86_64 --platform manylinux2014_x86_64 \
      --platform manylinux_2_17_x86_64 --platform manylinux_2_28_x86_64 -d "$cache" "$url" >&2 ||
    die "pip could not download $url"
  echo "$sha  $cache/$file" | sha256sum --quiet -c - 2>/dev/null || die "$file does not match its pinned sha256"
done < "infra/tfjs-node/$variant/wheels.txt"

# --- 2. The JS package and its runtime dependencies (pinned by the lock file), without any install script.
work="$tools/tfjs-node/.build-$variant-$$"
trap 'rm -rf "$work"' EXIT
rm -rf "$tools/tfjs-node"/.build-"$variant"-*
mkdir -p "$work"
cp "infra/tfjs-node/$variant/package.json" "infra/tfjs-node/$variant/package-lock.json" "$work/"
(cd "$work" && npm ci --ignore-scripts --omit=dev --no-audit --no-fund --loglevel=error >&2) || die "npm ci of @tensorflow/$pkg_name failed"
# The process that loads the engine brings its own @tensorflow/tfjs (one engine, one kernel registry): drop the copy.
(cd "$work/node_modules/@tensorflow" && find . -mindepth 1 -maxdepth 1 ! -name "$pkg_name" -exec rm -rf {} +)
pkg="$work/node_modules/@tensorflow/$pkg_name"

# --- 3. deps/include (the C API headers) and deps/lib (the two libraries, stripped) from the TensorFlow wheel.
tfwheel="$(awk '$1 ~ /^tensorflow(_cpu)?-/ {print $1}' "infra/tfjs-node/$variant/wheels.txt")"
unzip -q -o "$cache/$tfwheel" -d "$work/wheel" \
  'tensorflow/libtensorflow_cc.so.2' 'tensorflow/libtensorflow_framework.so.2' \
  'tensorflow/include/tensorflow/c/*.h' \
  'tensorflow/include/tensorflow/core/platform/ctstring*.h' 'tensorflow/include/tsl/platform/ctstring*.h' \
  'tensorflow/include/xla/tsl/c/*.h' || die "unzip of $tfwheel failed"
mkdir -p "$pkg/deps/lib"
mv "$work/wheel/tensorflow/include" "$pkg/deps/include"
for so in libtensorflow_cc.so.2 libtensorflow_framework.so.2; do
  strip --strip-unneeded -o "$pkg/deps/lib/$so" "$work/wheel/tensorflow/$so" || die "strip $so failed"
done
rm -rf "$work/wheel"
# binding.gyp links -ltensorflow -ltensorflow_framework; the C API is exported by libtensorflow_cc.so.2.
ln -sf libtensorflow_cc.so.2 "$pkg/deps/lib/libtensorflow.so"
ln -sf libtensorflow_framework.so.2 "$pkg/deps/lib/libtensorflow_framework.so"
syms="$(nm -D --defined-only "$pkg/deps/lib/libtensorflow_cc.so.2")"
for s in TFE_NewContext TFE_Execute TF_LoadSessionFromSavedModel; do
  grep -qw "$s" <<<"$syms" || die "libtensorflow_cc.so.2 in $tfwheel lacks $s"
done

# --- 4. GPU: the CUDA libraries where TensorFlow looks for them ($ORIGIN/../nvidia/<lib>/lib of libtensorflow_cc).
if [[ $variant == gpu ]]; then
  while read -r file sha url; do
    [[ -z "$file" || "$file" == \#* || "$file" != nvidia_* ]] && continue
    unzip -q -o "$cache/$file" 'nvidia/*' -x 'nvidia/*/include/*' '*__init__.py' -d "$pkg/deps" || die "unzip of $file failed"
  done < "infra/tfjs-node/$variant/wheels.txt"
fi

# --- 5. The binding, against the local Node headers (nothing downloaded). node-gyp needs node-pre-gyp's variables.
log="$work/build.log"
(cd "$pkg" && "$gyp" rebuild -j "${JOBS:-2}" --nodedir="$nodedir" \
  --module_name=tfjs_binding --module_path="$pkg/lib/napi-v$napi" --napi_build_version="$napi") >"$log" 2>&1 ||
  die "node-gyp failed: $(grep -m1 -E 'error|Error' "$log" || tail -1 "$log")"
rm -rf "$pkg/build"

# --- 6. Smoke test, then move into place atomically.
check='const tf = require(process.argv[1]); const a = tf.tensor2d([[1, 2], [3, 4]]);
const r = Array.from(a.matMul(a).dataSync()).join();
if (tf.getBackend() !== "tensorflow" || r !== "7,10,15,22") { console.error("wrong result", tf.getBackend(), r); process.exit(1); }'
out="$(cd "$work" && NODE_PATH="$root/node_modules" TF_CPP_MIN_LOG_LEVEL=2 CUDA_VISIBLE_DEVICES="" node -e "$check" "$pkg" 2>&1)" ||
  die "the built binding does not run: $(tail -1 <<<"$out")"
echo "$key" > "$work/.built"
rm -rf "$dest.old"
[[ -e "$dest" ]] && mv "$dest" "$dest.old"
mv "$work" "$dest"
rm -rf "$dest.old"
trap - EXIT
report
