# Two builds of the same addon: a portable baseline (x86-64 / any arch, no -march) and, on x64, an
# AVX2+FMA build that dlib's HOG code runs ~30% faster with. lib/faces/dlib.ts picks the AVX2 one
# only when the running CPU reports avx2 and fma, so a copied build/ stays safe on older machines.
{
  "target_defaults": {
    "sources": ["src/addon.cc", "src/models.cc"],
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
    "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
    "cflags!": ["-fno-exceptions", "-fno-rtti"],
    "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
    "cflags": ["-O3"],
    "cflags_cc": ["-O3", "-fexceptions", "-frtti", "-fvisibility=hidden", "<!@(pkg-config --cflags dlib-1)"],
    "libraries": ["<!@(pkg-config --libs dlib-1)"]
  },
  "targets": [
    {
      "target_name": "fsfm_dlib"
    }
  ],
  "conditions": [
    ["target_arch=='x64'", {
      "targets": [
        {
          "target_name": "fsfm_dlib_avx2",
          "cflags_cc": ["-mavx2", "-mfma"]
        }
      ]
    }]
  ]
}
