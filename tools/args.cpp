// Command-line option parsing shared by the subcommands.
#include <algorithm>

#include "core/error.h"
#include "tools/commands.h"

namespace oc::cli {

ArgParser::ArgParser(const Args& args, const std::vector<std::string>& known_options,
                     const std::vector<std::string>& flags) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--", 0) != 0) {
      rest.push_back(a);
      continue;
    }
    if (std::find(flags.begin(), flags.end(), a) != flags.end()) {
      options.emplace_back(a, "");
      continue;
    }
    OC_CHECK(std::find(known_options.begin(), known_options.end(), a) != known_options.end(), "unknown option ", a);
    OC_CHECK(i + 1 < args.size(), "option ", a, " needs a value");
    options.emplace_back(a, args[++i]);
  }
}

std::string ArgParser::get(const std::string& name, const std::string& fallback) const {
  for (const auto& [k, v] : options)
    if (k == name) return v;
  return fallback;
}

bool ArgParser::has(const std::string& name) const {
  for (const auto& [k, v] : options)
    if (k == name) return true;
  return false;
}

std::vector<std::string> overrides_of(const Args& args, Args& rest) {
  std::vector<std::string> sets;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--set") {
      OC_CHECK(i + 1 < args.size(), "--set needs key.path=value");
      sets.push_back(args[++i]);
    } else {
      rest.push_back(args[i]);
    }
  }
  return sets;
}

}  // namespace oc::cli
