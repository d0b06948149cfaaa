// Learning-rate schedules (see schedule.h).
#include "train/schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "core/error.h"

namespace oc {

double lr_at(const ScheduleOptions& s, int64_t step) {
  OC_CHECK(s.kind == "constant" || s.kind == "step" || s.kind == "cosine", "schedule: unknown kind \"", s.kind,
           "\" (expected \"constant\", \"step\" or \"cosine\")");
  OC_CHECK(std::isfinite(s.base_lr) && s.base_lr >= 0, "schedule: base_lr must be finite and >= 0, got ", s.base_lr);
  OC_CHECK(s.warmup_steps >= 0, "schedule: warmup_steps must be >= 0, got ", s.warmup_steps);
  OC_CHECK(step >= 0, "schedule: step must be >= 0, got ", step);
  if (s.kind == "step") {
    OC_CHECK(s.step_size >= 1, "schedule: step_size must be >= 1, got ", s.step_size);
    OC_CHECK(std::isfinite(s.gamma) && s.gamma > 0, "schedule: gamma must be finite and > 0, got ", s.gamma);
  }
  if (s.kind == "cosine") {
    OC_CHECK(s.total_steps >= 1, "schedule: total_steps must be >= 1 for the cosine schedule, got ", s.total_steps);
    OC_CHECK(std::isfinite(s.min_lr) && s.min_lr >= 0 && s.min_lr <= s.base_lr, "schedule: min_lr must be in [0, base_lr = ",
             s.base_lr, "], got ", s.min_lr);
  }
  if (step < s.warmup_steps) return s.base_lr * static_cast<double>(step) / static_cast<double>(s.warmup_steps);
  const int64_t t = step - s.warmup_steps;  // steps since the warm-up ended
  if (s.kind == "step") return s.base_lr * std::pow(s.gamma, static_cast<double>(t / s.step_size));
  if (s.kind == "cosine") {
    // A warm-up as long as the run (short smoke runs) leaves no room for the decay: min_lr after it.
    const int64_t span = s.total_steps - s.warmup_steps;
    const double p = span <= 0 ? 1.0 : std::min(1.0, static_cast<double>(t) / static_cast<double>(span));
    return s.min_lr + (s.base_lr - s.min_lr) * 0.5 * (1 + std::cos(std::numbers::pi * p));
  }
  return s.base_lr;
}

}  // namespace oc
