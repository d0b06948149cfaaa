// `ocellus data GENERATOR --out DIR ...`: the data set generators, one registry entry each.
#include "tools/cmd_data.h"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <tuple>

#include "core/error.h"
#include "core/registry.h"
#include "train/data/det_synth.h"
#include "train/data/pose_synth.h"

namespace oc::cli {
namespace {

// The whole of `text` as a non-negative integer; anything else is an error naming the option.
int64_t parse_count(const std::string& option, const std::string& text) {
  int64_t v = -1;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  OC_CHECK(!text.empty() && ec == std::errc() && ptr == end && v >= 0, option, ": expected a non-negative integer, got \"",
           text, "\"");
  return v;
}

// "MIN..MAX" of option `name`.
std::pair<int64_t, int64_t> parse_range(const std::string& name, const std::string& text) {
  const size_t dots = text.find("..");
  OC_CHECK(dots != std::string::npos, name, ": expected MIN..MAX, got \"", text, "\"");
  return {parse_count(name + " MIN", text.substr(0, dots)), parse_count(name + " MAX", text.substr(dots + 2))};
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int run_pose_synth(const ArgParser& p) {
  PoseSynthOptions opt;
  opt.count = parse_count("--count", p.get("--count", ""));
  opt.size = parse_count("--size", p.get("--size", "128"));
  opt.seed = static_cast<uint64_t>(parse_count("--seed", p.get("--seed", "0")));
  std::tie(opt.min_people, opt.max_people) = parse_range("--people", p.get("--people", "1..3"));
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
  const auto t0 = std::chrono::steady_clock::now();
  CocoKeypoints data = write_pose_synth(out, opt);
  std::printf("pose-synth: %lld images of %lld x %lld, %lld people, %zu background photos, in %.2f s: %s/images, "
              "%s/annotations.json\n",
              static_cast<long long>(opt.count), static_cast<long long>(opt.size), static_cast<long long>(opt.size),
              static_cast<long long>(data.num_people()), opt.backgrounds.size(), seconds_since(t0), out.c_str(),
              out.c_str());
  return 0;
}

int run_det_synth(const ArgParser& p) {
  DetSynthOptions opt;
  opt.count = parse_count("--count", p.get("--count", ""));
  opt.size = parse_count("--size", p.get("--size", "128"));
  opt.seed = static_cast<uint64_t>(parse_count("--seed", p.get("--seed", "0")));
  std::tie(opt.min_objects, opt.max_objects) = parse_range("--objects", p.get("--objects", "1..4"));
  opt.split = p.get("--split", "train");
  const std::string bg = p.get("--backgrounds", "");
  opt.backgrounds = bg.empty() ? default_pose_backgrounds() : image_files_in(bg);
  OC_CHECK(!opt.backgrounds.empty(), bg.empty() ? "no background photos: install Debian's opencv-doc (tools/setup.sh "
                                                  "does), or pass --backgrounds DIR"
                                                : "--backgrounds " + bg + ": no image files");
  opt.check();
  const std::string out = p.get("--out", "");
  const auto t0 = std::chrono::steady_clock::now();
  const CocoDetDataset data = write_det_synth(out, opt);
  std::printf("det-synth (%s): %lld images of %lld x %lld, %zu objects, %zu background photos, in %.2f s: %s/images, "
              "%s/annotations.json\n",
              opt.split.c_str(), static_cast<long long>(opt.count), static_cast<long long>(opt.size),
              static_cast<long long>(opt.size), data.annotations.size(), opt.backgrounds.size(), seconds_since(t0),
              out.c_str(), out.c_str());
  return 0;
}

struct DataGenerator {
  const char* usage;  // the options after the generator's name
  int (*run)(const ArgParser&);
};

// Registry keys: the options each generator takes (--out and --count are required by all).
const Registry<DataGenerator>& data_generators() {
  static const Registry<DataGenerator> r = [] {
    Registry<DataGenerator> g("data generator");
    g.add("pose-synth", {"--out", "--count", "--size", "--people", "--seed", "--backgrounds"},
          {"--out DIR --count N [--size S] [--people MIN..MAX] [--seed X] [--backgrounds DIR|none]", run_pose_synth});
    g.add("det-synth", {"--out", "--count", "--size", "--objects", "--seed", "--split", "--backgrounds"},
          {"--out DIR --count N [--size S] [--objects MIN..MAX] [--seed X] [--split train|test] [--backgrounds DIR]",
           run_det_synth});
    return g;
  }();
  return r;
}

std::string usage() {
  std::string u = "usage:";
  for (const auto& [name, e] : data_generators().entries()) u += str_cat("\n  ocellus data ", name, " ", e.factory.usage);
  return u;
}

}  // namespace

int cmd_data(const Args& args) {
  // The generator's name: the first argument that is neither an option nor an option's value.
  std::string name;
  for (size_t i = 0; i < args.size() && name.empty(); ++i) {
    if (args[i].rfind("--", 0) == 0)
      ++i;
    else
      name = args[i];
  }
  OC_CHECK(!name.empty(), "which generator?\n", usage());
  const auto* found = data_generators().find(name);
  OC_CHECK(found != nullptr, "unknown data generator ", quoted_with_suggestion(name, data_generators().names()), "\n",
           usage());
  const auto& entry = *found;
  const ArgParser p(args, entry.keys, {});
  OC_CHECK(p.rest.size() == 1, "one generator name expected, got ", p.rest.size(), "\n", usage());
  OC_CHECK(p.has("--out") && p.has("--count"), "--out and --count are required\nusage: ocellus data ", name, " ",
           entry.factory.usage);
  OC_CHECK(!p.get("--out", "").empty(), "--out: expected a directory, got an empty string");
  return entry.factory.run(p);
}

}  // namespace oc::cli
