// Tables of named factories, for the JSON components chosen by a type name (layers, tasks, data sets,
// optimizers, schedules, losses, pose heads): each entry lists the keys it reads, an unknown name is
// an error at its JSON path with a did-you-mean suggestion, and `ocellus info` prints every table.
#pragma once
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/words.h"

namespace oc {

// "<where>: unknown <what> "<name>" (did you mean "x"?); known: a, b, c"
std::string unknown_name_message(const std::string& where, const std::string& what, const std::string& name,
                                 const std::vector<std::string>& known);

template <class Factory>
class Registry {
 public:
  struct Entry {
    Factory factory;
    std::vector<std::string> keys;  // the config keys this entry reads, for `ocellus info`
  };

  // what: the kind of thing in error messages, e.g. "optimizer" or "layer type".
  explicit Registry(std::string what) : what_(std::move(what)) {}

  Registry& add(const std::string& name, std::vector<std::string> keys, Factory factory) {
    OC_CHECK(!entries_.count(name), "registry of ", what_, "s: \"", name, "\" registered twice");
    entries_.emplace(name, Entry{std::move(factory), std::move(keys)});
    return *this;
  }

  const Entry* find(const std::string& name) const {
    auto it = entries_.find(name);
    return it == entries_.end() ? nullptr : &it->second;
  }
  // The entry, or an error naming `where` (file and JSON path) with the closest known name.
  const Entry& at(const std::string& name, const std::string& where) const {
    if (const Entry* e = find(name)) return *e;
    throw Error(unknown_name_message(where, what_, name, names()));
  }

  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& [name, e] : entries_) out.push_back(name);
    return out;
  }
  const std::map<std::string, Entry>& entries() const { return entries_; }
  const std::string& what() const { return what_; }

 private:
  std::string what_;
  std::map<std::string, Entry> entries_;
};

}  // namespace oc
