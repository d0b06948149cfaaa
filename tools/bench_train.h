// The training-step benchmark (tools/bench_train.cpp), called by `ocellus bench train CONFIG`.
#pragma once
#include "tools/commands.h"

namespace oc::cli {

// args: what follows `bench train` (the config, --steps, --warmup, --profile, --json, --device,
// --set). Prints the step and loop throughput (and the profile); returns the exit code.
int bench_train(const Args& args);

}  // namespace oc::cli
