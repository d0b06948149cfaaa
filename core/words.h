// "Did you mean" suggestions for unknown names in configs and on the command line.
#pragma once
#include <string>
#include <vector>

namespace oc {

// Edit distance (with adjacent swaps).
size_t edit_distance(const std::string& a, const std::string& b);
// The candidate closest to `word` if it is close enough to be a likely typo, else "".
std::string closest_word(const std::string& word, const std::vector<std::string>& candidates);
// `"name" (did you mean "guess"?); known: a, b, c` -- the tail of every unknown-name error.
std::string quoted_with_suggestion(const std::string& name, const std::vector<std::string>& known);

}  // namespace oc
