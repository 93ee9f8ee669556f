#include "dlib_config.h"  // first: dlib's own linear algebra, as the reference (see the file)
#include "models.h"

#include <dlib/serialize.h>

#include <fstream>
#include <stdexcept>

namespace fsfm {

const char* const kDefaultPredictorPath = "/usr/share/dlib/shape_predictor_68_face_landmarks.dat";

Models& Models::instance() {
  // Leaked on purpose: worker threads may still hold leases while the process exits.
  static Models* models = new Models();
  return *models;
}

Models::DetectorLease::DetectorLease(Models& models) : models_(models), detector_(models.acquireDetector()) {}

Models::DetectorLease::~DetectorLease() { models_.releaseDetector(std::move(detector_)); }

std::unique_ptr<dlib::frontal_face_detector> Models::acquireDetector() {
  std::lock_guard<std::mutex> lock(detectorMutex_);
  if (!idle_.empty()) {
    auto detector = std::move(idle_.back());
    idle_.pop_back();
    return detector;
  }
  if (!prototype_) {
    prototype_ = std::make_unique<dlib::frontal_face_detector>(dlib::get_frontal_face_detector());
  }
  ++copies_;
  return std::make_unique<dlib::frontal_face_detector>(*prototype_);
}

void Models::releaseDetector(std::unique_ptr<dlib::frontal_face_detector> detector) {
  if (!detector) return;
  std::lock_guard<std::mutex> lock(detectorMutex_);
  idle_.push_back(std::move(detector));
}

const dlib::shape_predictor& Models::predictor() {
  std::lock_guard<std::mutex> lock(predictorMutex_);
  if (predictor_) return *predictor_;
  {
    std::ifstream probe(predictorPath_, std::ios::binary);
    if (!probe) {
      throw std::runtime_error("DLIB shape predictor not found or unreadable: " + predictorPath_ +
                               " (Debian: apt-get install libdlib-data)");
    }
  }
  auto loaded = std::make_unique<dlib::shape_predictor>();
  try {
    dlib::deserialize(predictorPath_) >> *loaded;
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot load DLIB shape predictor " + predictorPath_ + ": " + e.what());
  }
  if (loaded->num_parts() != 68) {
    throw std::runtime_error("DLIB shape predictor " + predictorPath_ + " has " +
                             std::to_string(loaded->num_parts()) + " parts; 68 are required");
  }
  predictor_ = std::move(loaded);
  return *predictor_;
}

void Models::setPredictorPath(const std::string& path) {
  std::lock_guard<std::mutex> lock(predictorMutex_);
  if (path == predictorPath_) return;
  if (predictor_) {
    throw std::runtime_error("the DLIB shape predictor is already loaded from " + predictorPath_ +
                             "; one predictor per process, cannot switch to " + path);
  }
  predictorPath_ = path;
}

std::string Models::predictorPath() {
  std::lock_guard<std::mutex> lock(predictorMutex_);
  return predictorPath_;
}

bool Models::predictorLoaded() {
  std::lock_guard<std::mutex> lock(predictorMutex_);
  return predictor_ != nullptr;
}

bool Models::detectorLoaded() {
  std::lock_guard<std::mutex> lock(detectorMutex_);
  return prototype_ != nullptr;
}

size_t Models::detectorCopies() {
  std::lock_guard<std::mutex> lock(detectorMutex_);
  return copies_;
}

}  // namespace fsfm
