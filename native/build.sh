#!/usr/bin/env bash
# Builds the DLIB addon (native/build/Release/fsfm_dlib.node, plus fsfm_dlib_avx2.node on x86-64)
# against the locally installed Node headers; nothing is downloaded.
#   native/build.sh            build unless the addon was built from these exact sources (digest stamp)
#   native/build.sh --force    always rebuild
# Env: NODE_PREFIX=/prefix  use /prefix/include/node instead of the running node's headers.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
force=0
[[ "${1:-}" == "--force" ]] && force=1

fail() {
  echo "native/build.sh: $*" >&2
  exit 1
}

command -v node >/dev/null || fail "node is not on PATH"
for tool in make g++ pkg-config; do
  command -v "$tool" >/dev/null || fail "$tool is missing (Debian: apt-get install build-essential pkg-config)"
done
command -v python3 >/dev/null || fail "python3 is missing (node-gyp needs it)"

[[ -f "$root/node_modules/node-gyp/bin/node-gyp.js" ]] || fail "node-gyp is not installed under $root/node_modules (run npm ci)"
[[ -f "$root/node_modules/node-addon-api/napi.h" ]] || fail "node-addon-api is not installed under $root/node_modules (run npm ci)"

# Node headers: an explicit NODE_PREFIX, else the prefix the running node was built with, else the
# folder above its bin/. node-gyp wants the prefix (it reads PREFIX/include/node/common.gypi).
node_version="$(node -p 'process.versions.node')"
candidates=()
[[ -n "${NODE_PREFIX:-}" ]] && candidates+=("$NODE_PREFIX")
candidates+=("$(node -p 'process.config.variables.node_prefix || ""')")
candidates+=("$(dirname "$(dirname "$(node -p 'process.execPath')")")")
candidates+=(/usr /usr/local)
nodedir=""
for prefix in "${candidates[@]}"; do
  [[ -n "$prefix" && -f "$prefix/include/node/node_api.h" && -f "$prefix/include/node/common.gypi" ]] || continue
  nodedir="$prefix"
  break
done
if [[ -z "$nodedir" ]]; then
  fail "Node $node_version headers not found: looked for include/node/{node_api.h,common.gypi} under: ${candidates[*]}. Install the headers that match this node (Debian/NodeSource: the nodejs package ships /usr/include/node; otherwise set NODE_PREFIX)"
fi
headers_version="$(sed -n 's/^#define NODE_\(MAJOR\|MINOR\|PATCH\)_VERSION \([0-9]*\).*/\2/p' "$nodedir/include/node/node_version.h" | paste -sd.)"
if [[ "$headers_version" != "$node_version" ]]; then
  # Node-API is ABI-stable across versions, so this still works; say so in case it does not.
  echo "native/build.sh: note: headers in $nodedir/include/node are Node $headers_version, running node is $node_version" >&2
fi

pkg-config --exists dlib-1 || fail "pkg-config cannot find dlib-1 (Debian: apt-get install libdlib-dev)"
for lib in $(pkg-config --libs dlib-1); do
  if [[ "$lib" == /* && ! -e "$lib" ]]; then
    fail "dlib links against $lib, which is missing (Debian: apt-get install libblas-dev liblapack-dev)"
  fi
done
[[ -f /usr/share/dlib/shape_predictor_68_face_landmarks.dat ]] ||
  echo "native/build.sh: note: /usr/share/dlib/shape_predictor_68_face_landmarks.dat is missing (apt-get install libdlib-data); landmarks need it at run time" >&2

out="$here/build/Release/fsfm_dlib.node"
# Fresh means built from these exact sources, this node and this dlib: a digest, not mtimes (a copied build folder,
# a checkout or a restored cache keeps or sets times that say nothing about what the addon was built from).
stamp="$here/build/Release/.fsfm-sources.sha256"
digest="$( (cd "$here" && find src binding.gyp -type f -print0 | sort -z | xargs -0 sha256sum; node -p 'process.versions.node + " " + process.arch'; pkg-config --modversion dlib-1) | sha256sum | cut -d' ' -f1)"
if [[ $force -eq 0 && -f "$out" && -f "$stamp" && "$(cat "$stamp")" == "$digest" ]]; then
  echo "native/build.sh: $out is up to date"
  exit 0
fi

cd "$here"
node "$root/node_modules/node-gyp/bin/node-gyp.js" rebuild --nodedir="$nodedir" --jobs=max

for addon in build/Release/fsfm_dlib*.node; do
  node -e 'const a = require(process.argv[1]); if (typeof a.detect !== "function") process.exit(1); console.log("native/build.sh: built", process.argv[1], "simd", a.simd)' "$here/$addon" ||
    fail "$here/$addon was built but does not load"
done
echo "$digest" > "$stamp"
