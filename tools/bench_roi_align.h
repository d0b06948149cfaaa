// The RoIAlign / RoIPool benchmark (tools/bench_roi_align.cpp), called by `ocellus bench roi_align`
// and `ocellus bench roi_pool`.
#pragma once
#include <string>

#include "tools/commands.h"

namespace oc::cli {

// op: "roi_align" or "roi_pool". Prints the table (and writes --json FILE); returns the exit code.
int bench_roi(const std::string& op, const ArgParser& p);

}  // namespace oc::cli
