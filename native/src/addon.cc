// N-API surface of the DLIB addon. Every model call runs in a Napi::AsyncWorker on the libuv pool,
// so the event loop never waits on HOG detection or landmarking. Argument errors throw synchronously
// (TypeError / RangeError, prefixed with the function name); model errors reject the promise.
#include "dlib_config.h"  // first: dlib's own linear algebra, as the reference (see the file)

#include <napi.h>

#include <dlib/image_transforms/interpolation.h>
#include <dlib/revision.h>
#include <dlib/image_processing/full_object_detection.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "models.h"
#include "rgb_view.h"

namespace fsfm {
namespace {

constexpr uint32_t kMaxSideLengthPx = 1 << 15;
constexpr unsigned kMaxUpsample = 3;
// pyramid_up doubles each side per step; beyond this many pixels the HOG pyramid alone takes GBs.
constexpr double kMaxUpsampledPixels = 120e6;

#if defined(__AVX2__)
constexpr const char* kSimd = "avx2";
#elif defined(__AVX__)
constexpr const char* kSimd = "avx";
#elif defined(__SSE4_1__)
constexpr const char* kSimd = "sse4.1";
#else
constexpr const char* kSimd = "sse2";
#endif

// What this build's arithmetic equals (binding.gyp sets it per target); part of every cache key.
#ifndef FSFM_DLIB_ARITHMETIC
#error "FSFM_DLIB_ARITHMETIC must name the build's arithmetic (see binding.gyp)"
#endif
#define FSFM_STR2(x) #x
#define FSFM_STR(x) FSFM_STR2(x)
constexpr const char* kDlibVersion =
    FSFM_STR(DLIB_MAJOR_VERSION) "." FSFM_STR(DLIB_MINOR_VERSION) "." FSFM_STR(DLIB_PATCH_VERSION);

// A frame borrowed from JS: the reference keeps the buffer alive until the worker is destroyed
// (on the main thread). Callers must not write to the buffer while a call on it is pending.
struct Frame {
  Napi::ObjectReference keepAlive;
  RgbView view{nullptr, 0, 0};
};

uint32_t positiveInt(const Napi::Env& env, const Napi::Value& value, const std::string& fn, const char* name,
                     uint32_t max) {
  if (!value.IsNumber()) throw Napi::TypeError::New(env, fn + ": " + name + " must be a number");
  double v = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(v) || std::floor(v) != v || v < 1 || v > max) {
    throw Napi::RangeError::New(env, fn + ": " + name + " must be an integer in [1, " + std::to_string(max) +
                                         "], got " + value.ToString().Utf8Value());
  }
  return static_cast<uint32_t>(v);
}

Frame parseFrame(const Napi::CallbackInfo& info, const std::string& fn) {
  Napi::Env env = info.Env();
  if (info.Length() < 3) {
    throw Napi::TypeError::New(env, fn + ": expected (rgb: Buffer, width: number, height: number, ...)");
  }
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(env, fn + ": rgb must be a Buffer or Uint8Array of packed RGB bytes");
  }
  uint32_t width = positiveInt(env, info[1], fn, "width", kMaxSideLengthPx);
  uint32_t height = positiveInt(env, info[2], fn, "height", kMaxSideLengthPx);
  auto rgb = info[0].As<Napi::Uint8Array>();
  uint64_t expected = static_cast<uint64_t>(width) * height * 3;
  if (rgb.ElementLength() != expected) {
    throw Napi::RangeError::New(env, fn + ": rgb holds " + std::to_string(rgb.ElementLength()) +
                                         " bytes but width*height*3 = " + std::to_string(width) + "*" +
                                         std::to_string(height) + "*3 = " + std::to_string(expected));
  }
  Frame frame;
  frame.keepAlive = Napi::Persistent(info[0].As<Napi::Object>());
  frame.view = RgbView{reinterpret_cast<const dlib::rgb_pixel*>(rgb.Data()), static_cast<long>(height),
                       static_cast<long>(width)};
  return frame;
}

unsigned parseUpsample(const Napi::CallbackInfo& info, size_t index, const Frame& frame, const std::string& fn) {
  Napi::Env env = info.Env();
  if (info.Length() <= index || !info[index].IsNumber()) {
    throw Napi::TypeError::New(env, fn + ": upsample must be a number (0 = none, 1 = the reference's 2x)");
  }
  double v = info[index].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(v) || std::floor(v) != v || v < 0 || v > kMaxUpsample) {
    throw Napi::RangeError::New(env, fn + ": upsample must be an integer in [0, " + std::to_string(kMaxUpsample) +
                                         "], got " + info[index].ToString().Utf8Value());
  }
  unsigned upsample = static_cast<unsigned>(v);
  double pixels = static_cast<double>(frame.view.rows) * frame.view.cols * std::pow(4.0, upsample);
  if (pixels > kMaxUpsampledPixels) {
    throw Napi::RangeError::New(env, fn + ": a " + std::to_string(frame.view.cols) + "x" +
                                         std::to_string(frame.view.rows) + " frame upsampled " +
                                         std::to_string(upsample) + " times exceeds " +
                                         std::to_string(static_cast<long>(kMaxUpsampledPixels)) +
                                         " pixels; downscale it or lower upsample");
  }
  return upsample;
}

dlib::rectangle parseBox(const Napi::CallbackInfo& info, size_t index, const std::string& fn) {
  Napi::Env env = info.Env();
  if (info.Length() <= index || !info[index].IsObject()) {
    throw Napi::TypeError::New(env, fn + ": box must be an object {left, top, right, bottom}");
  }
  Napi::Object box = info[index].As<Napi::Object>();
  long edges[4];
  const char* names[4] = {"left", "top", "right", "bottom"};
  for (int i = 0; i < 4; ++i) {
    Napi::Value v = box.Get(names[i]);
    if (!v.IsNumber()) throw Napi::TypeError::New(env, fn + ": box." + names[i] + " must be a number");
    double d = v.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(d) || std::floor(d) != d || std::fabs(d) > 1e9) {
      throw Napi::RangeError::New(env, fn + ": box." + names[i] + " must be an integer, got " +
                                           v.ToString().Utf8Value());
    }
    edges[i] = static_cast<long>(d);
  }
  if (edges[2] < edges[0] || edges[3] < edges[1]) {
    throw Napi::RangeError::New(env, fn + ": box must have right >= left and bottom >= top");
  }
  return dlib::rectangle(edges[0], edges[1], edges[2], edges[3]);
}

// Mirrors dlib's Python binding (run_detector_with_upscale): upsample the frame with pyramid_up
// `upsample` times, detect at threshold 0, map the boxes back. Detections come sorted by score.
std::vector<dlib::rect_detection> detectFaces(const RgbView& img, unsigned upsample) {
  Models::DetectorLease lease(Models::instance());
  std::vector<dlib::rect_detection> detections;
  if (upsample == 0) {
    lease.get()(img, detections, 0.0);
    return detections;
  }
  dlib::pyramid_down<2> pyr;
  dlib::array2d<dlib::rgb_pixel> upsampled;
  dlib::pyramid_up(img, upsampled, pyr);
  for (unsigned i = 1; i < upsample; ++i) dlib::pyramid_up(upsampled, pyr);
  lease.get()(upsampled, detections, 0.0);
  for (auto& d : detections) d.rect = pyr.rect_down(d.rect, upsample);
  return detections;
}

std::vector<dlib::point> landmarksOf(const RgbView& img, const dlib::rectangle& box) {
  dlib::full_object_detection shape = Models::instance().predictor()(img, box);
  std::vector<dlib::point> points(shape.num_parts());
  for (unsigned long i = 0; i < shape.num_parts(); ++i) points[i] = shape.part(i);
  return points;
}

Napi::Object boxToJs(Napi::Env env, const dlib::rectangle& r) {
  Napi::Object box = Napi::Object::New(env);
  box.Set("left", Napi::Number::New(env, r.left()));
  box.Set("top", Napi::Number::New(env, r.top()));
  box.Set("right", Napi::Number::New(env, r.right()));
  box.Set("bottom", Napi::Number::New(env, r.bottom()));
  return box;
}

Napi::Array pointsToJs(Napi::Env env, const std::vector<dlib::point>& points) {
  Napi::Array out = Napi::Array::New(env, points.size());
  for (size_t i = 0; i < points.size(); ++i) {
    Napi::Array xy = Napi::Array::New(env, 2);
    xy.Set(uint32_t{0}, Napi::Number::New(env, points[i].x()));
    xy.Set(uint32_t{1}, Napi::Number::New(env, points[i].y()));
    out.Set(static_cast<uint32_t>(i), xy);
  }
  return out;
}

enum class Job { Detect, Landmarks, DetectAndLandmark, Preload };

class FaceWorker : public Napi::AsyncWorker {
 public:
  FaceWorker(Napi::Env env, Job job, Frame frame)
      : Napi::AsyncWorker(env, "fsfm-dlib"), job_(job), frame_(std::move(frame)),
        deferred_(Napi::Promise::Deferred::New(env)) {}

  Napi::Promise promise() { return deferred_.Promise(); }
  unsigned upsample = 0;
  dlib::rectangle box;
  bool preloadPredictor = true;

 protected:
  void Execute() override {
    try {
      switch (job_) {
        case Job::Detect:
          detections_ = detectFaces(frame_.view, upsample);
          break;
        case Job::Landmarks:
          shapes_.push_back(landmarksOf(frame_.view, box));
          break;
        case Job::DetectAndLandmark:
          detections_ = detectFaces(frame_.view, upsample);
          for (const auto& d : detections_) shapes_.push_back(landmarksOf(frame_.view, d.rect));
          break;
        case Job::Preload:
          { Models::DetectorLease lease(Models::instance()); }
          if (preloadPredictor) Models::instance().predictor();
          break;
      }
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    switch (job_) {
      case Job::Detect: {
        Napi::Array out = Napi::Array::New(env, detections_.size());
        for (size_t i = 0; i < detections_.size(); ++i) {
          Napi::Object box = boxToJs(env, detections_[i].rect);
          box.Set("score", Napi::Number::New(env, detections_[i].detection_confidence));
          out.Set(static_cast<uint32_t>(i), box);
        }
        deferred_.Resolve(out);
        break;
      }
      case Job::Landmarks:
        deferred_.Resolve(pointsToJs(env, shapes_.at(0)));
        break;
      case Job::DetectAndLandmark: {
        Napi::Array out = Napi::Array::New(env, detections_.size());
        for (size_t i = 0; i < detections_.size(); ++i) {
          Napi::Object face = Napi::Object::New(env);
          Napi::Object box = boxToJs(env, detections_[i].rect);
          box.Set("score", Napi::Number::New(env, detections_[i].detection_confidence));
          face.Set("box", box);
          face.Set("landmarks", pointsToJs(env, shapes_[i]));
          out.Set(static_cast<uint32_t>(i), face);
        }
        deferred_.Resolve(out);
        break;
      }
      case Job::Preload:
        deferred_.Resolve(env.Undefined());
        break;
    }
  }

  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  Job job_;
  Frame frame_;
  Napi::Promise::Deferred deferred_;
  std::vector<dlib::rect_detection> detections_;
  std::vector<std::vector<dlib::point>> shapes_;
};

Napi::Value Detect(const Napi::CallbackInfo& info) {
  Frame frame = parseFrame(info, "detect");
  unsigned upsample = parseUpsample(info, 3, frame, "detect");
  auto* worker = new FaceWorker(info.Env(), Job::Detect, std::move(frame));
  worker->upsample = upsample;
  worker->Queue();
  return worker->promise();
}

Napi::Value Landmarks(const Napi::CallbackInfo& info) {
  Frame frame = parseFrame(info, "landmarks");
  dlib::rectangle box = parseBox(info, 3, "landmarks");
  auto* worker = new FaceWorker(info.Env(), Job::Landmarks, std::move(frame));
  worker->box = box;
  worker->Queue();
  return worker->promise();
}

Napi::Value DetectAndLandmark(const Napi::CallbackInfo& info) {
  Frame frame = parseFrame(info, "detectAndLandmark");
  unsigned upsample = parseUpsample(info, 3, frame, "detectAndLandmark");
  auto* worker = new FaceWorker(info.Env(), Job::DetectAndLandmark, std::move(frame));
  worker->upsample = upsample;
  worker->Queue();
  return worker->promise();
}

Napi::Value Preload(const Napi::CallbackInfo& info) {
  bool predictor = true;
  if (info.Length() > 0 && info[0].IsObject()) {
    Napi::Value v = info[0].As<Napi::Object>().Get("predictor");
    if (!v.IsUndefined()) {
      if (!v.IsBoolean()) throw Napi::TypeError::New(info.Env(), "preload: options.predictor must be a boolean");
      predictor = v.As<Napi::Boolean>().Value();
    }
  }
  auto* worker = new FaceWorker(info.Env(), Job::Preload, Frame{});
  worker->preloadPredictor = predictor;
  worker->Queue();
  return worker->promise();
}

Napi::Value Configure(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) {
    throw Napi::TypeError::New(env, "configure: expected an object {predictorPath?: string}");
  }
  Napi::Value path = info[0].As<Napi::Object>().Get("predictorPath");
  if (!path.IsUndefined()) {
    if (!path.IsString() || path.As<Napi::String>().Utf8Value().empty()) {
      throw Napi::TypeError::New(env, "configure: predictorPath must be a non-empty string");
    }
    try {
      Models::instance().setPredictorPath(path.As<Napi::String>().Utf8Value());
    } catch (const std::runtime_error& e) {
      throw Napi::Error::New(env, std::string("configure: ") + e.what());
    }
  }
  return env.Undefined();
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Models& models = Models::instance();
  Napi::Object out = Napi::Object::New(env);
  out.Set("predictorPath", models.predictorPath());
  out.Set("predictorLoaded", models.predictorLoaded());
  out.Set("detectorLoaded", models.detectorLoaded());
  out.Set("detectorCopies", Napi::Number::New(env, static_cast<double>(models.detectorCopies())));
  out.Set("simd", kSimd);
  return out;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("detect", Napi::Function::New(env, Detect, "detect"));
  exports.Set("landmarks", Napi::Function::New(env, Landmarks, "landmarks"));
  exports.Set("detectAndLandmark", Napi::Function::New(env, DetectAndLandmark, "detectAndLandmark"));
  exports.Set("preload", Napi::Function::New(env, Preload, "preload"));
  exports.Set("configure", Napi::Function::New(env, Configure, "configure"));
  exports.Set("info", Napi::Function::New(env, Info, "info"));
  exports.Set("defaultPredictorPath", kDefaultPredictorPath);
  exports.Set("simd", kSimd);
  exports.Set("arithmetic", FSFM_DLIB_ARITHMETIC);
  exports.Set("dlibVersion", kDlibVersion);
  exports.Set("linalg", FSFM_DLIB_LINALG);
  return exports;
}

}  // namespace
}  // namespace fsfm

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return fsfm::Init(env, exports); }

NODE_API_MODULE(NODE_GYP_MODULE_NAME, InitModule)
