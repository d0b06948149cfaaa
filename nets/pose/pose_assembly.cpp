// Greedy bottom-up assembly (OpenPose): score candidate limbs on the PAFs, match them per limb,
// grow people through shared joints. Host code; the PAF scoring runs where the maps are.
#include "nets/pose/pose_assembly.h"

#include <algorithm>
#include <cmath>

#include "kernels/copy/copy.h"
#include "kernels/fill/fill.h"
#include "kernels/views/views.h"

namespace oc {
namespace {

struct Connection {
  int a, b;  // candidate indices within joint types A and B
  double score;
};

// A person being built: joint[k] is a candidate index of type k, or -1.
struct Row {
  std::vector<int> joint;
  double sum = 0;  // joint scores + limb scores
  int joints = 0, limbs = 0;
};

// The matched pairs of one limb, best first, each candidate used once.
std::vector<Connection> match_limb(const std::vector<JointCandidate>& ca, const std::vector<JointCandidate>& cb,
                                   const Tensor& field, double image_height, const PoseAssemblyOptions& o) {
  std::vector<double> flat;
  for (const JointCandidate& a : ca)
    for (const JointCandidate& b : cb) flat.insert(flat.end(), {a.x, a.y, b.x, b.y});
  const int64_t m = static_cast<int64_t>(ca.size() * cb.size());
  Tensor pairs = to(to(from_vector(flat, {m, 4}), field.dtype()), field.device());
  const std::vector<double> s = to_vector<double>(paf_limb_scores(field, pairs, o.stride, o.samples, o.paf_threshold));
  std::vector<Connection> kept;
  for (int i = 0; i < static_cast<int>(ca.size()); ++i)
    for (int j = 0; j < static_cast<int>(cb.size()); ++j) {
      const int64_t q = static_cast<int64_t>(i) * static_cast<int64_t>(cb.size()) + j;
      const double length = std::hypot(cb[j].x - ca[i].x, cb[j].y - ca[i].y);
      if (!(length > 0)) continue;
      const double score = s[2 * q] + std::min(0.5 * image_height / length - 1, 0.0);
      if (s[2 * q + 1] >= o.min_fraction && score > 0) kept.push_back({i, j, score});
    }
  std::stable_sort(kept.begin(), kept.end(), [](const Connection& x, const Connection& y) { return x.score > y.score; });
  std::vector<bool> used_a(ca.size()), used_b(cb.size());
  std::vector<Connection> chosen;
  for (const Connection& c : kept) {
    if (used_a[c.a] || used_b[c.b]) continue;
    used_a[c.a] = used_b[c.b] = true;
    chosen.push_back(c);
  }
  return chosen;
}

// Places one accepted connection of limb (ta, tb) among the rows (see pose_assembly.h).
void place(std::vector<Row>& rows, const Connection& c, int ta, int tb,
           const std::vector<std::vector<JointCandidate>>& cands, bool replace_contradicting) {
  const size_t joints = cands.size();
  auto score = [&](int type, int index) { return cands[static_cast<size_t>(type)][static_cast<size_t>(index)].score; };
  const double score_a = score(ta, c.a), score_b = score(tb, c.b);
  std::vector<size_t> hit;
  for (size_t r = 0; r < rows.size(); ++r)
    if (rows[r].joint[ta] == c.a || rows[r].joint[tb] == c.b) hit.push_back(r);
  if (hit.empty()) {
    Row row;
    row.joint.assign(joints, -1);
    row.joint[ta] = c.a;
    row.joint[tb] = c.b;
    row.sum = score_a + score_b + c.score;
    row.joints = 2;
    row.limbs = 1;
    rows.push_back(row);
    return;
  }
  if (hit.size() == 1) {
    Row& row = rows[hit[0]];
    const bool a_differs = row.joint[ta] != -1 && row.joint[ta] != c.a;
    const bool b_differs = row.joint[tb] != -1 && row.joint[tb] != c.b;
    if (a_differs || b_differs) {
      if (!replace_contradicting) return;
      // The row holds one of the pair's candidates (it was hit), so exactly one type differs.
      const int type = a_differs ? ta : tb, now = a_differs ? c.a : c.b;
      row.sum += score(type, now) - score(type, row.joint[static_cast<size_t>(type)]) + c.score;
      row.joint[static_cast<size_t>(type)] = now;
      ++row.limbs;
      return;
    }
    if (row.joint[ta] == -1) {
      row.joint[ta] = c.a;
      row.sum += score_a;
      ++row.joints;
    }
    if (row.joint[tb] == -1) {
      row.joint[tb] = c.b;
      row.sum += score_b;
      ++row.joints;
    }
    row.sum += c.score;
    ++row.limbs;
    return;
  }
  // Each candidate sits in at most one row, so two rows: one holds joint a, the other joint b.
  Row& first = rows[hit[0]];
  Row& second = rows[hit[1]];
  for (size_t k = 0; k < joints; ++k)
    if (first.joint[k] != -1 && second.joint[k] != -1) return;
  for (size_t k = 0; k < joints; ++k)
    if (second.joint[k] != -1) first.joint[k] = second.joint[k];
  first.sum += second.sum + c.score;
  first.joints += second.joints;
  first.limbs += second.limbs + 1;
  rows.erase(rows.begin() + static_cast<std::ptrdiff_t>(hit[1]));
}

}  // namespace

std::vector<std::vector<JointCandidate>> joint_candidates(const std::vector<Peak>& peaks, int64_t n,
                                                          int64_t joints) {
  OC_CHECK(joints >= 0, "joint_candidates: joints must be >= 0, got ", joints);
  std::vector<std::vector<JointCandidate>> out(static_cast<size_t>(joints));
  for (const Peak& p : peaks) {
    if (p.n != n) continue;
    OC_CHECK(p.k >= 0 && p.k < joints, "joint_candidates: a peak of joint type ", p.k, " but only ", joints,
             " types");
    out[static_cast<size_t>(p.k)].push_back({p.x, p.y, p.score});
  }
  return out;
}

std::vector<AssembledPose> assemble_poses(const std::vector<std::vector<JointCandidate>>& candidates,
                                          const Tensor& pafs, const std::vector<std::array<int, 2>>& limbs,
                                          const PoseAssemblyOptions& o) {
  const char* op = "assemble_poses";
  OC_CHECK(pafs.defined() && pafs.dim() == 3 && pafs.size(0) == 2 * static_cast<int64_t>(limbs.size()), op,
           ": expected pafs [2L,H,W] with L = ", limbs.size(), " limbs, got ",
           pafs.defined() ? shape_str(pafs.shape()) : std::string("an undefined tensor"));
  const int k = static_cast<int>(candidates.size());
  for (size_t l = 0; l < limbs.size(); ++l)
    OC_CHECK(limbs[l][0] >= 0 && limbs[l][0] < k && limbs[l][1] >= 0 && limbs[l][1] < k && limbs[l][0] != limbs[l][1],
             op, ": limb ", l, " (", limbs[l][0], ", ", limbs[l][1], ") needs two distinct joints in [0, ", k, ")");
  const double image_height = o.image_height > 0 ? o.image_height : static_cast<double>(pafs.size(1)) * o.stride;

  std::vector<Row> rows;
  for (size_t l = 0; l < limbs.size(); ++l) {
    const int ta = limbs[l][0], tb = limbs[l][1];
    const auto& ca = candidates[static_cast<size_t>(ta)];
    const auto& cb = candidates[static_cast<size_t>(tb)];
    if (ca.empty() || cb.empty()) continue;
    const int64_t c = 2 * static_cast<int64_t>(l);
    for (const Connection& conn : match_limb(ca, cb, slice(pafs, 0, c, c + 2), image_height, o))
      place(rows, conn, ta, tb, candidates, o.replace_contradicting);
  }

  std::vector<AssembledPose> people;
  for (const Row& row : rows) {
    AssembledPose p;
    p.joint_count = row.joints;
    p.limb_count = row.limbs;
    p.score = row.sum / static_cast<double>(o.score_per_joint ? row.joints : row.joints + row.limbs);
    if (p.joint_count < o.min_joints || !(p.score >= o.min_score)) continue;
    p.joints.resize(candidates.size());
    for (size_t t = 0; t < candidates.size(); ++t)
      if (row.joint[t] != -1) {
        const JointCandidate& jc = candidates[t][static_cast<size_t>(row.joint[t])];
        p.joints[t] = {jc.x, jc.y, jc.score};
      }
    people.push_back(p);
  }
  std::stable_sort(people.begin(), people.end(),
                   [](const AssembledPose& a, const AssembledPose& b) { return a.score > b.score; });
  return people;
}

}  // namespace oc
