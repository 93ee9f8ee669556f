// A read-only dlib "generic image" over caller-owned packed RGB bytes (row-major, 3 bytes per pixel).
// dlib reads it in place, so a frame is never copied into an array2d before detection or landmarking.
#pragma once

#include "dlib_config.h"  // first: dlib's own linear algebra, as the reference (see the file)

#include <dlib/image_processing/generic_image.h>
#include <dlib/pixel.h>

namespace fsfm {

struct RgbView {
  const dlib::rgb_pixel* data;  // rgb_pixel is 3 packed bytes R,G,B: the layout of the caller's buffer
  long rows;
  long cols;
};

// Found by argument-dependent lookup from dlib's templates.
inline long num_rows(const RgbView& img) { return img.rows; }
inline long num_columns(const RgbView& img) { return img.cols; }
inline long width_step(const RgbView& img) { return img.cols * static_cast<long>(sizeof(dlib::rgb_pixel)); }
inline const void* image_data(const RgbView& img) { return img.data; }
// dlib asks for a mutable pointer through const_image_view's helpers too; the view is never written.
inline void* image_data(RgbView& img) { return const_cast<dlib::rgb_pixel*>(img.data); }

}  // namespace fsfm

namespace dlib {
template <>
struct image_traits<fsfm::RgbView> {
  typedef rgb_pixel pixel_type;
};
}  // namespace dlib

static_assert(sizeof(dlib::rgb_pixel) == 3, "rgb_pixel must be 3 packed bytes");
