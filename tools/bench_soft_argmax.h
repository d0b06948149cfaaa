// The soft_argmax benchmark (tools/bench_soft_argmax.cpp), called by `ocellus bench soft_argmax`.
#pragma once
#include "tools/commands.h"

namespace oc::cli {

// Prints the table (and writes --json FILE); returns the exit code.
int bench_soft_argmax(const ArgParser& p);

}  // namespace oc::cli
