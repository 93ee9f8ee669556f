// The process-wide DLIB models: one HOG frontal-face detector and one 68-point shape predictor,
// each built once, lazily, on a worker thread (detector ~0.45 s, predictor ~0.8 s).
#pragma once

#include "dlib_config.h"  // first: dlib's own linear algebra, as the reference (see the file)

#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/image_processing/shape_predictor.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace fsfm {

extern const char* const kDefaultPredictorPath;

// Thread safety. dlib's object_detector keeps per-call scratch state inside the object, so one
// instance must never run on two threads at once (dlib documents copying its configuration as the
// only safe concurrent operation). The pool therefore keeps one prototype that never detects and
// lends each running worker its own copy; copies are made on demand (at most one per concurrently
// running libuv thread) and reused. shape_predictor's operator() is const and documented safe to
// share between threads, so there is exactly one.
class Models {
 public:
  static Models& instance();

  // A detector lent to the caller for the duration of one call.
  class DetectorLease {
   public:
    explicit DetectorLease(Models& models);
    ~DetectorLease();
    DetectorLease(const DetectorLease&) = delete;
    DetectorLease& operator=(const DetectorLease&) = delete;
    dlib::frontal_face_detector& get() { return *detector_; }

   private:
    Models& models_;
    std::unique_ptr<dlib::frontal_face_detector> detector_;
  };

  // Loads the predictor on first use; throws std::runtime_error naming the path when it cannot.
  const dlib::shape_predictor& predictor();

  // Changing the path after the predictor has loaded from another path throws: one model per process.
  void setPredictorPath(const std::string& path);
  std::string predictorPath();
  bool predictorLoaded();
  bool detectorLoaded();
  size_t detectorCopies();  // copies made so far for concurrent callers

 private:
  Models() = default;
  std::unique_ptr<dlib::frontal_face_detector> acquireDetector();
  void releaseDetector(std::unique_ptr<dlib::frontal_face_detector> detector);

  std::mutex detectorMutex_;
  std::unique_ptr<dlib::frontal_face_detector> prototype_;
  std::vector<std::unique_ptr<dlib::frontal_face_detector>> idle_;
  size_t copies_ = 0;

  std::mutex predictorMutex_;
  std::string predictorPath_ = kDefaultPredictorPath;
  std::unique_ptr<dlib::shape_predictor> predictor_;
};

}  // namespace fsfm
