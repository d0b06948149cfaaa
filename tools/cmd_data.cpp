// `ocellus data pose-synth --out DIR --count N [--size S] [--people MIN..MAX] [--seed X] [--backgrounds DIR|none]`
#include "tools/cmd_data.h"

#include <charconv>
#include <chrono>
#include <cstdio>

#include "core/error.h"
#include "train/data/pose_synth.h"

namespace oc::cli {
namespace {

const char* kDataUsage =
    "usage: ocellus data pose-synth --out DIR --count N [--size S] [--people MIN..MAX] [--seed X] "
    "[--backgrounds DIR|none]";

// The whole of `text` as a non-negative integer; anything else is an error naming the option.
int64_t parse_count(const std::string& option, const std::string& text) {
  int64_t v = -1;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  OC_CHECK(!text.empty() && ec == std::errc() && ptr == end && v >= 0, option, ": expected a non-negative integer, got \"",
           text, "\"");
  return v;
}

}  // namespace

int cmd_data(const Args& args) {
  ArgParser p(args, {"--out", "--count", "--size", "--people", "--seed", "--backgrounds"}, {});
  OC_CHECK(p.rest.size() == 1, kDataUsage);
  OC_CHECK(p.rest[0] == "pose-synth", "unknown data generator \"", p.rest[0], "\" (available: pose-synth)\n", kDataUsage);
  OC_CHECK(p.has("--out") && p.has("--count"), "--out and --count are required\n", kDataUsage);
  PoseSynthOptions opt;
  opt.count = parse_count("--count", p.get("--count", ""));
  opt.size = parse_count("--size", p.get("--size", "128"));
  opt.seed = static_cast<uint64_t>(parse_count("--seed", p.get("--seed", "0")));
  const std::string people = p.get("--people", "1..3");
  const size_t dots = people.find("..");
  OC_CHECK(dots != std::string::npos, "--people: expected MIN..MAX, got \"", people, "\"");
  opt.min_people = parse_count("--people MIN", people.substr(0, dots));
  opt.max_people = parse_count("--people MAX", people.substr(dots + 2));
  const std::string bg = p.get("--backgrounds", "");
  if (bg.empty()) {
    opt.backgrounds = default_pose_backgrounds();
    OC_CHECK(!opt.backgrounds.empty(), "no background photos: install Debian's opencv-doc (tools/setup.sh does), "
                                       "or pass --backgrounds DIR, or --backgrounds none");
  } else if (bg != "none") {
    opt.backgrounds = image_files_in(bg);
    OC_CHECK(!opt.backgrounds.empty(), "--backgrounds ", bg, ": no image files");
  }
  opt.check();
  const std::string out = p.get("--out", "");
  OC_CHECK(!out.empty(), "--out: expected a directory, got an empty string");
  const auto t0 = std::chrono::steady_clock::now();
  CocoKeypoints data = write_pose_synth(out, opt);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("pose-synth: %lld images of %lld x %lld, %lld people, %zu background photos, in %.2f s: %s/images, "
              "%s/annotations.json\n",
              static_cast<long long>(opt.count), static_cast<long long>(opt.size), static_cast<long long>(opt.size),
              static_cast<long long>(data.num_people()), opt.backgrounds.size(), s, out.c_str(), out.c_str());
  return 0;
}

}  // namespace oc::cli
