// Learning-rate schedules: constant, step decay and cosine, each after an optional linear warm-up;
// a kind is a schedule_registry() entry (train.schedule.kind).
#pragma once
#include <cstdint>
#include <string>

#include "core/registry.h"

namespace oc {

struct ScheduleOptions {
  std::string kind = "constant";  // constant | step | cosine
  double base_lr = 0.01;
  int64_t warmup_steps = 0;  // linear from 0: lr = base_lr * step / warmup_steps for step < warmup_steps
  int64_t step_size = 1;     // step: lr = base_lr * gamma^floor((step - warmup_steps) / step_size)
  double gamma = 0.1;
  int64_t total_steps = 1;   // cosine: from base_lr at warmup_steps down to min_lr at total_steps (and after)
  double min_lr = 0;
};

struct ScheduleKind {
  void (*check)(const ScheduleOptions& s);            // the values only this kind uses
  double (*decay)(const ScheduleOptions& s, int64_t t);  // the lr t steps after the warm-up ended
};
const Registry<ScheduleKind>& schedule_registry();

// The learning rate of step `step` (counted from 0). The decay of step and cosine starts where the
// warm-up ends; total_steps counts the warm-up too:
//   cosine: lr = min_lr + (base_lr - min_lr) (1 + cos(pi p)) / 2,
//           p = min(1, (step - warmup_steps) / (total_steps - warmup_steps))
//   (p = 1, i.e. min_lr, after a warm-up that is as long as total_steps or longer).
// Validates kind and values; a bad one is an oc::Error naming it.
double lr_at(const ScheduleOptions& s, int64_t step);

}  // namespace oc
