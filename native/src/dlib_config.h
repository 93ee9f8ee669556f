// dlib's own linear algebra, as the reference's Python dlib computes. Include first, before any other dlib header,
// in every file of the addon.
//
// Debian's dlib/config.h turns on DLIB_USE_BLAS and DLIB_USE_LAPACK, so dlib's templates instantiated here called
// LAPACK's dgesvd and cblas_dgemm, e.g. in the pseudo-inverse behind the shape predictor's unnormalizing transform.
// PyPI's dlib-bin (19.24.6 and 20.0.1 alike, what the FSFM reference installs) links neither and uses dlib's own
// SVD. The two round differently: on a face box reaching above the frame, 20 of 68 landmarks came out 1 px apart
// (bench/prepare; test/unit/faces/dlib-builds.test.ts keeps that frame). config.h has no include guard, but it is
// read only through assert.h and test_for_odr_violations.h, which have: including both first and then undefining
// the two macros keeps them off for every later dlib header. libdlib.so itself is not changed.
#pragma once

#include <dlib/test_for_odr_violations.h>
#include <dlib/assert.h>

#undef DLIB_USE_BLAS
#undef DLIB_USE_LAPACK

// Exported as `linalg` and part of every cache key (lib/faces dlibBuildId): faces computed through LAPACK differ.
#define FSFM_DLIB_LINALG "dlib"
