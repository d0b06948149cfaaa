// Name suggestions for the registries and the config reader (see registry.h).
#include "core/registry.h"

#include <algorithm>
#include <cstdint>

namespace oc {

size_t edit_distance(const std::string& a, const std::string& b) {
  // Optimal string alignment: insertions, deletions, substitutions and adjacent swaps cost 1,
  // so the common typos "kernal" and "rleu" are each one edit away.
  const size_t n = a.size(), m = b.size();
  std::vector<std::vector<size_t>> d(n + 1, std::vector<size_t>(m + 1));
  for (size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (size_t i = 1; i <= n; ++i)
    for (size_t j = 1; j <= m; ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[n][m];
}

std::string closest_word(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = SIZE_MAX;
  for (const auto& c : candidates) {
    size_t d = edit_distance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  // A likely typo: at most a third of the letters differ.
  return best_d <= std::max<size_t>(1, word.size() / 3) ? best : "";
}

std::string unknown_name_message(const std::string& where, const std::string& what, const std::string& name,
                                 const std::vector<std::string>& known) {
  std::string guess = closest_word(name, known), all;
  for (const auto& n : known) all += (all.empty() ? "" : ", ") + n;
  return str_cat(where, ": unknown ", what, " \"", name, "\"",
                 guess.empty() ? "" : " (did you mean \"" + guess + "\"?)", "; known: ", all);
}

}  // namespace oc
