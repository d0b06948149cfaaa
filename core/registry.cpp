// The unknown-name error of the registries (see registry.h).
#include "core/registry.h"

namespace oc {

std::string unknown_name_message(const std::string& where, const std::string& what, const std::string& name,
                                 const std::vector<std::string>& known) {
  return str_cat(where, ": unknown ", what, " ", quoted_with_suggestion(name, known));
}

}  // namespace oc
