// Wall time of a piece of work on a device: CUDA events on the current stream for CUDA, a steady
// clock for the CPU. Used by benchmarks, never by tests.
#pragma once
#include <functional>
#include <vector>

#include "core/device.h"

namespace oc {

// Milliseconds taken by one call of fn (which launches work on `device`), including waiting for it.
double time_once_ms(Device device, const std::function<void()>& fn);

// Runs fn `warmup` times untimed, then `repeats` timed; returns the per-run times in ms.
std::vector<double> time_runs_ms(Device device, const std::function<void()>& fn, int warmup, int repeats);

double median(std::vector<double> v);

}  // namespace oc
