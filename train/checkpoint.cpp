// Training checkpoints (see checkpoint.h).
#include "train/checkpoint.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <set>

#include "layers/basic.h"
#include "train/io/safetensors.h"

namespace oc {
namespace {

constexpr const char* kFormat = "ocellus-checkpoint-1";

// Dropout layers own generators: their offsets are part of the state to resume exactly.
std::vector<std::pair<std::string, Dropout*>> dropout_layers(Network& model) {
  std::vector<std::pair<std::string, Dropout*>> out;
  for (const auto& l : model.layers())
    if (auto* d = dynamic_cast<Dropout*>(l.module.get())) out.emplace_back(l.name, d);
  return out;
}

// The metadata value under `key` read by `parse` (std::stoll, std::stod): a missing key or a value that is
// not a number is an error naming the file and the key.
template <class Parse>
auto meta_number(const std::map<std::string, std::string>& m, const std::string& key, const std::string& file,
                 Parse parse) {
  auto it = m.find(key);
  OC_CHECK(it != m.end(), file, ": checkpoint metadata lacks \"", key, "\"");
  try {
    return parse(it->second);
  } catch (...) {
    OC_FAIL(file, ": checkpoint metadata \"", key, "\" is not a number: ", it->second);
  }
}

int64_t meta_int(const std::map<std::string, std::string>& m, const std::string& key, const std::string& file) {
  return meta_number(m, key, file, [](const std::string& v) { return int64_t{std::stoll(v)}; });
}

double meta_double(const std::map<std::string, std::string>& m, const std::string& key, const std::string& file) {
  return meta_number(m, key, file, [](const std::string& v) { return std::stod(v); });
}

// Every digit a double needs to read back as itself (std::to_string keeps 6 decimals): a resumed run
// must compare later scores against the best score itself. Infinities print as "inf" / "-inf".
std::string exact_decimal(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

NamedTensors model_tensors_of(const SafetensorsFile& f) {
  NamedTensors out;
  for (const auto& t : f.tensors)
    if (t.name.rfind("optimizer.", 0) != 0) out.emplace_back(t.name, t.tensor);
  return out;
}

}  // namespace

void save_checkpoint(const std::string& path, Network& model, const Optimizer& opt, const Experiment& e,
                     const TrainPosition& pos) {
  std::vector<NamedTensor> tensors;
  for (auto& [name, t] : model.named_parameters()) tensors.push_back({name, t});
  for (auto& [name, t] : model.named_buffers()) tensors.push_back({name, t});
  for (auto& p : opt.state()) tensors.push_back({"optimizer." + p.name, p.param});
  std::map<std::string, std::string> meta{{"format", kFormat},
                                          {"config", e.config.dump()},
                                          {"resolved_config", e.resolved.dump()},
                                          {"epoch", std::to_string(pos.epoch)},
                                          {"step_in_epoch", std::to_string(pos.step_in_epoch)},
                                          {"global_step", std::to_string(pos.global_step)},
                                          {"optimizer_steps", std::to_string(opt.steps())},
                                          {"best_accuracy", exact_decimal(pos.best_score)},
                                          {"epoch_sums", pos.epoch_sums.dump()},
                                          {"processes", std::to_string(pos.processes)}};
  for (auto& [name, d] : dropout_layers(model)) meta["rng." + name] = std::to_string(d->generator().offset);
  save_safetensors(path, tensors, meta);
}

TrainPosition load_checkpoint(const std::string& path, Network& model, Optimizer& opt, Device device) {
  SafetensorsFile f = load_safetensors(path);
  model.load_values(model_tensors_of(f), path);
  std::vector<NamedParam> state;
  for (const auto& t : f.tensors)
    if (t.name.rfind("optimizer.", 0) == 0) state.push_back({t.name.substr(10), to(t.tensor, device)});
  opt.load_state(state, meta_int(f.metadata, "optimizer_steps", path));
  TrainPosition pos;
  pos.epoch = meta_int(f.metadata, "epoch", path);
  pos.step_in_epoch = meta_int(f.metadata, "step_in_epoch", path);
  pos.global_step = meta_int(f.metadata, "global_step", path);
  pos.best_score = meta_double(f.metadata, "best_accuracy", path);
  auto sums = f.metadata.find("epoch_sums");  // absent in checkpoints of older versions
  if (sums != f.metadata.end()) {
    try {
      pos.epoch_sums = json::parse(sums->second);
    } catch (const json::exception&) {
      OC_FAIL(path, ": checkpoint metadata \"epoch_sums\" is not JSON: ", sums->second);
    }
  }
  if (f.metadata.count("processes")) pos.processes = meta_int(f.metadata, "processes", path);  // absent before issue 16
  for (auto& [name, d] : dropout_layers(model))
    d->generator().offset = static_cast<uint64_t>(meta_int(f.metadata, "rng." + name, path));
  return pos;
}

std::map<std::string, std::string> load_model_checkpoint(const std::string& path, Network& model) {
  SafetensorsFile f = load_safetensors(path);
  auto it = f.metadata.find("format");
  OC_CHECK(it != f.metadata.end() && it->second == kFormat, path, ": not an ocellus checkpoint (metadata format is ",
           it == f.metadata.end() ? "missing" : "\"" + it->second + "\"", ")");
  model.load_values(model_tensors_of(f), path);
  return f.metadata;
}

void init_model_from(const std::string& path, Network& model) {
  OC_CHECK(std::filesystem::is_regular_file(path), "train.init_from: ", path, " does not exist");
  SafetensorsFile f = load_safetensors(path);
  auto format = f.metadata.find("format");
  OC_CHECK(format != f.metadata.end() && format->second == kFormat, "train.init_from: ", path,
           ": not an ocellus checkpoint");
  NamedTensors values = model_tensors_of(f);
  std::set<std::string> mine;
  for (auto& [name, t] : model.named_parameters()) mine.insert(name);
  for (auto& [name, t] : model.named_buffers()) mine.insert(name);
  for (const auto& [name, t] : values)
    OC_CHECK(mine.count(name), "train.init_from: ", path, " holds tensor \"", name,
             "\", which the model does not have (the networks must match layer for layer)");
  model.load_values(values, "train.init_from: " + path);
}

int remove_stale_temporaries(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  const std::string prefix = "." + target.filename().string() + ".tmp.";
  std::error_code ec;
  int removed = 0;
  for (const fs::directory_entry& f : fs::directory_iterator(dir, ec)) {
    const std::string name = f.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string rest = name.substr(prefix.size());  // PID.N
    const size_t dot = rest.find('.');
    if (dot == 0 || dot > 10 || dot == std::string::npos || rest.find_first_not_of("0123456789.") != std::string::npos) continue;
    const long pid = std::stol(rest.substr(0, dot));
    const bool alive = pid == ::getpid() || ::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH;
    if (!alive && fs::remove(f.path(), ec)) ++removed;
  }
  return removed;
}

}  // namespace oc
