// Learning-rate schedules (see schedule.h).
#include "train/schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace oc {
namespace {

void check_nothing(const ScheduleOptions&) {}
double constant(const ScheduleOptions& s, int64_t) { return s.base_lr; }

void check_step(const ScheduleOptions& s) {
  OC_CHECK(s.step_size >= 1, "schedule: step_size must be >= 1, got ", s.step_size);
  OC_CHECK(std::isfinite(s.gamma) && s.gamma > 0, "schedule: gamma must be finite and > 0, got ", s.gamma);
}
double step_decay(const ScheduleOptions& s, int64_t t) {
  return s.base_lr * std::pow(s.gamma, static_cast<double>(t / s.step_size));
}

void check_cosine(const ScheduleOptions& s) {
  OC_CHECK(s.total_steps >= 1, "schedule: total_steps must be >= 1 for the cosine schedule, got ", s.total_steps);
  OC_CHECK(std::isfinite(s.min_lr) && s.min_lr >= 0 && s.min_lr <= s.base_lr, "schedule: min_lr must be in [0, base_lr = ",
           s.base_lr, "], got ", s.min_lr);
}
double cosine(const ScheduleOptions& s, int64_t t) {
  // A warm-up as long as the run (short smoke runs) leaves no room for the decay: min_lr after it.
  const int64_t span = s.total_steps - s.warmup_steps;
  const double p = span <= 0 ? 1.0 : std::min(1.0, static_cast<double>(t) / static_cast<double>(span));
  return s.min_lr + (s.base_lr - s.min_lr) * 0.5 * (1 + std::cos(std::numbers::pi * p));
}

}  // namespace

const Registry<ScheduleKind>& schedule_registry() {
  static const Registry<ScheduleKind> r = [] {
    Registry<ScheduleKind> r("schedule");
    r.add("constant", {"warmup_steps"}, {check_nothing, constant});
    r.add("step", {"warmup_steps", "step_size", "gamma"}, {check_step, step_decay});
    r.add("cosine", {"warmup_steps", "min_lr"}, {check_cosine, cosine});
    return r;
  }();
  return r;
}

double lr_at(const ScheduleOptions& s, int64_t step) {
  const ScheduleKind& kind = schedule_registry().at(s.kind, "schedule.kind").factory;
  OC_CHECK(std::isfinite(s.base_lr) && s.base_lr >= 0, "schedule: base_lr must be finite and >= 0, got ", s.base_lr);
  OC_CHECK(s.warmup_steps >= 0, "schedule: warmup_steps must be >= 0, got ", s.warmup_steps);
  OC_CHECK(step >= 0, "schedule: step must be >= 0, got ", step);
  kind.check(s);
  if (step < s.warmup_steps) return s.base_lr * static_cast<double>(step) / static_cast<double>(s.warmup_steps);
  return kind.decay(s, step - s.warmup_steps);
}

}  // namespace oc
