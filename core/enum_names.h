// Enum <-> name through one table per enum, so the two directions cannot disagree:
//   constexpr EnumName<Reduction> kReductionNames[] = {{Reduction::none, "none"}, ...};
//   enum_from_name(kReductionNames, "mean", "reduction: unknown value") -> Reduction::mean
// An unknown name fails with a did-you-mean suggestion and the known names.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace oc {

template <class E>
struct EnumName {
  E value;
  const char* name;
};

// OC_FAIL(what, " \"name\" (did you mean ...?); known: ...").
[[noreturn]] void fail_unknown_name(const char* what, const std::string& name, const std::vector<std::string>& known);

template <class E, size_t N>
std::vector<std::string> enum_names(const EnumName<E> (&table)[N]) {
  std::vector<std::string> names;
  for (const auto& e : table) names.push_back(e.name);
  return names;
}

template <class E, size_t N>
E enum_from_name(const EnumName<E> (&table)[N], const std::string& name, const char* what) {
  for (const auto& e : table)
    if (name == e.name) return e.value;
  fail_unknown_name(what, name, enum_names(table));
}

template <class E, size_t N>
const char* enum_to_name(const EnumName<E> (&table)[N], E value) {
  for (const auto& e : table)
    if (e.value == value) return e.name;
  return "?";
}

}  // namespace oc
