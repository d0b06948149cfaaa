// The subcommands of `ocellus`; each takes the arguments after its name and returns an exit code.
#pragma once
#include <string>
#include <vector>

namespace oc::cli {

using Args = std::vector<std::string>;

int cmd_info(const Args& args);
int cmd_bench(const Args& args);
int cmd_demo(const Args& args);
int cmd_train(const Args& args);
int cmd_eval(const Args& args);
int cmd_infer(const Args& args);
int cmd_match(const Args& args);
int cmd_plot(const Args& args);

// Small argument helpers: `--name value` options and flags; unknown options are errors.
struct ArgParser {
  Args rest;          // positional arguments
  std::vector<std::pair<std::string, std::string>> options;
  ArgParser(const Args& args, const std::vector<std::string>& known_options, const std::vector<std::string>& flags);
  std::string get(const std::string& name, const std::string& fallback) const;
  bool has(const std::string& name) const;
};

// The values of every `--set key.path=value` in args (config overrides); the other arguments go to rest.
std::vector<std::string> overrides_of(const Args& args, Args& rest);

}  // namespace oc::cli
