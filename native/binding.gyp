# Three builds of the same addon, named by their arithmetic (FSFM_DLIB_ARITHMETIC, part of every cache key):
#   fsfm_dlib          'reference'  portable (no -march): dlib's reference arithmetic, any x86-64 / arm64 CPU
#   fsfm_dlib_avx2     'reference'  AVX2 without FMA and without contraction: the same bits as fsfm_dlib
#                                   (checked on every box, score and landmark), faster; loaded when the CPU has AVX2
#   fsfm_dlib_avx2fma  'avx2-fma'   AVX2 + FMA contraction: faster still, but different rounding (boxes +-1 px or
#                                   more, landmarks several px) - only when face.dlib asks for 'avx2-fma'
# lib/faces/dlib.ts picks the file; a build copied to an older x86-64 machine falls back to the portable one.
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
      "target_name": "fsfm_dlib",
      "defines": ["FSFM_DLIB_ARITHMETIC=\"reference\""],
      "cflags_cc": ["-ffp-contract=off"]
    }
  ],
  "conditions": [
    ["target_arch=='x64'", {
      "targets": [
        {
          "target_name": "fsfm_dlib_avx2",
          "defines": ["FSFM_DLIB_ARITHMETIC=\"reference\""],
          "cflags_cc": ["-mavx2", "-mno-fma", "-ffp-contract=off"]
        },
        {
          "target_name": "fsfm_dlib_avx2fma",
          "defines": ["FSFM_DLIB_ARITHMETIC=\"avx2-fma\""],
          "cflags_cc": ["-mavx2", "-mfma"]
        }
      ]
    }]
  ]
}
