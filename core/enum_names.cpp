// The failure path of enum_from_name, out of line so the header needs no error machinery.
#include "core/enum_names.h"

#include "core/error.h"
#include "core/words.h"

namespace oc {

void fail_unknown_name(const char* what, const std::string& name, const std::vector<std::string>& known) {
  OC_FAIL(what, " ", quoted_with_suggestion(name, known));
}

}  // namespace oc
