// COCO detection evaluation (see coco_det_eval.h): IoU per image and category, then cocoeval's
// shared matching and accumulation (coco_eval_core.h), and the 12-number summary.
#include "train/metrics/coco_det_eval.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "core/error.h"

namespace oc {

namespace {

// The 12 numbers of cocoeval's summarizeDets: maxDets[2] (100) unless stated, maxDets[0..2] for
// AR1/AR10/AR100.
struct SummaryLine {
  bool ap;
  double iou;  // < 0: all thresholds
  const char* area;
  int max_dets;
};

std::array<SummaryLine, 12> summary_lines(const CocoDetEvalParams& p) {
  const size_t M = p.max_dets.size();
  const int m0 = p.max_dets[0], m1 = p.max_dets[std::min<size_t>(1, M - 1)], m2 = p.max_dets[std::min<size_t>(2, M - 1)];
  return {{{true, -1, "all", m2},     {true, 0.5, "all", m2},    {true, 0.75, "all", m2},
           {true, -1, "small", m2},   {true, -1, "medium", m2},  {true, -1, "large", m2},
           {false, -1, "all", m0},    {false, -1, "all", m1},    {false, -1, "all", m2},
           {false, -1, "small", m2},  {false, -1, "medium", m2}, {false, -1, "large", m2}}};
}

void check_params(const CocoDetEvalParams& p) {
  OC_CHECK(!p.thresholds.empty(), "evaluate_coco_det: no IoU thresholds");
  for (double t : p.thresholds)
    OC_CHECK(t >= 0 && t <= 1, "evaluate_coco_det: IoU threshold ", t, " is outside [0, 1]");
  OC_CHECK(!p.max_dets.empty(), "evaluate_coco_det: no maxDets");
  for (size_t m = 0; m < p.max_dets.size(); ++m) {
    OC_CHECK(p.max_dets[m] >= 1, "evaluate_coco_det: maxDets ", p.max_dets[m], " must be >= 1");
    OC_CHECK(m == 0 || p.max_dets[m] > p.max_dets[m - 1], "evaluate_coco_det: maxDets must ascend");
  }
  for (const AreaRange& a : p.area_ranges)
    OC_CHECK(a.lo <= a.hi, "evaluate_coco_det: area range \"", a.name, "\" has lo ", a.lo, " > hi ", a.hi);
}

// IoU matrix [D][G] of one image and category.
std::vector<std::vector<double>> ious(const std::vector<const CocoDetResult*>& dets,
                                     const std::vector<const CocoDetAnnotation*>& gts, CocoIouType type) {
  std::vector<std::vector<double>> out(dets.size(), std::vector<double>(gts.size()));
  for (size_t d = 0; d < dets.size(); ++d)
    for (size_t g = 0; g < gts.size(); ++g)
      out[d][g] = type == CocoIouType::bbox ? coco_box_iou(dets[d]->bbox, gts[g]->bbox, gts[g]->iscrowd)
                                            : rle_iou(*dets[d]->mask, *gts[g]->mask, gts[g]->iscrowd);
  return out;
}

// The mean of the valid entries over categories, as summarize() takes np.mean(s[s > -1]).
double mean_over_categories(const std::vector<double>& values) {
  double sum = 0;
  int n = 0;
  for (double v : values)
    if (v > -1) sum += v, ++n;
  return n == 0 ? -1 : sum / n;
}

}  // namespace

std::vector<AreaRange> coco_detection_area_ranges() {
  return {{"all", 0, 1e5 * 1e5}, {"small", 0, 32.0 * 32}, {"medium", 32.0 * 32, 96.0 * 96}, {"large", 96.0 * 96, 1e5 * 1e5}};
}

double coco_box_iou(const std::array<double, 4>& dt, const std::array<double, 4>& gt, bool gt_iscrowd) {
  const double w = std::fmin(dt[0] + dt[2], gt[0] + gt[2]) - std::fmax(dt[0], gt[0]);
  if (w <= 0) return 0;
  const double h = std::fmin(dt[1] + dt[3], gt[1] + gt[3]) - std::fmax(dt[1], gt[1]);
  if (h <= 0) return 0;
  const double inter = w * h, dt_area = dt[2] * dt[3];
  const double uni = gt_iscrowd ? dt_area : dt_area + gt[2] * gt[3] - inter;
  return inter / uni;
}

double CocoDetEvalResult::summarize(bool ap, double iou, const std::string& area, int max_dets) const {
  size_t a = 0, m = 0;
  while (a < params.area_ranges.size() && params.area_ranges[a].name != area) ++a;
  while (m < params.max_dets.size() && params.max_dets[m] != max_dets) ++m;
  if (a == params.area_ranges.size() || m == params.max_dets.size()) return -1;
  const int t = iou < 0 ? -1 : threshold_index(params.thresholds, iou);
  if (iou >= 0 && t < 0) return -1;
  std::vector<double> per_cat;
  for (const auto& cat : per_category) {
    const PrecisionRecall& pr = cat[a][m];
    if (!pr.valid()) continue;
    if (t < 0) per_cat.push_back(ap ? pr.ap() : pr.ar());
    else per_cat.push_back(ap ? pr.mean_precision(size_t(t)) : pr.recall[size_t(t)]);
  }
  return mean_over_categories(per_cat);
}

CocoDetEvalResult evaluate_coco_det(const CocoDetDataset& gt, const std::vector<CocoDetResult>& detections,
                                    const CocoDetEvalParams& params) {
  check_params(params);
  const bool segm = params.iou_type == CocoIouType::segm;
  std::map<int64_t, const CocoDetImage*> images;  // ascending id
  for (const CocoDetImage& im : gt.images) {
    OC_CHECK(images.emplace(im.id, &im).second, "evaluate_coco_det: image id ", im.id, " appears twice");
  }
  std::map<int64_t, size_t> cat_index;  // id -> k, ascending id
  for (const CocoDetCategory& c : gt.categories)
    OC_CHECK(cat_index.emplace(c.id, 0).second, "evaluate_coco_det: category id ", c.id, " appears twice");
  CocoDetEvalResult result;
  result.params = params;
  for (auto& [id, k] : cat_index) k = result.category_ids.size(), result.category_ids.push_back(id);
  const size_t K = cat_index.size(), A = params.area_ranges.size(), M = params.max_dets.size();

  // Per image and category, in file order.
  struct Cell {
    std::vector<const CocoDetAnnotation*> gts;
    std::vector<const CocoDetResult*> dets;
  };
  std::map<std::pair<int64_t, size_t>, Cell> cells;  // (image id, k)
  // Messages are built only on failure (there may be millions of detections).
  auto check_mask = [&](const std::optional<Rle>& mask, int64_t image_id, const auto& what) {
    if (!segm) return;
    const CocoDetImage& im = *images.at(image_id);
    OC_CHECK(mask.has_value(), "evaluate_coco_det (segm): ", what(), " has no mask");
    OC_CHECK(mask->height == im.height && mask->width == im.width, "evaluate_coco_det (segm): ", what(), " has a ",
             mask->height, " x ", mask->width, " mask but image ", image_id, " is ", im.height, " x ", im.width);
  };
  for (size_t i = 0; i < gt.annotations.size(); ++i) {
    const CocoDetAnnotation& a = gt.annotations[i];
    auto what = [&] { return str_cat("annotation ", i, " (id ", a.id, ")"); };
    OC_CHECK(images.count(a.image_id), "evaluate_coco_det: ", what(), " is on image ", a.image_id,
             ", which the data set lacks");
    OC_CHECK(cat_index.count(a.category_id), "evaluate_coco_det: ", what(), " has category ", a.category_id,
             ", which the data set lacks");
    check_mask(a.mask, a.image_id, what);
    cells[{a.image_id, cat_index[a.category_id]}].gts.push_back(&a);
  }
  for (size_t i = 0; i < detections.size(); ++i) {
    const CocoDetResult& d = detections[i];
    auto what = [&] { return str_cat("detection ", i, " (image_id ", d.image_id, ")"); };
    OC_CHECK(images.count(d.image_id), "evaluate_coco_det: ", what(), ": the data set has no such image");
    OC_CHECK(cat_index.count(d.category_id), "evaluate_coco_det: ", what(), ": category ", d.category_id,
             " is not in the data set");
    OC_CHECK(std::isfinite(d.score), "evaluate_coco_det: ", what(), ": score is ", d.score);
    for (double v : d.bbox) OC_CHECK(std::isfinite(v), "evaluate_coco_det: ", what(), ": bbox has ", v);
    check_mask(d.mask, d.image_id, what);
    cells[{d.image_id, cat_index[d.category_id]}].dets.push_back(&d);
  }

  // matches[k][a]: one entry per image having ground truth or detections of category k, in
  // ascending image id (the order cocoeval concatenates them in, which decides score ties).
  std::vector<std::vector<std::vector<ImageMatches>>> matches(K, std::vector<std::vector<ImageMatches>>(A));
  const size_t keep = size_t(params.max_dets.back());
  for (auto& [key, cell] : cells) {
    std::stable_sort(cell.dets.begin(), cell.dets.end(),
                     [](const CocoDetResult* a, const CocoDetResult* b) { return a->score > b->score; });
    if (cell.dets.size() > keep) cell.dets.resize(keep);
    const std::vector<std::vector<double>> iou = ious(cell.dets, cell.gts, params.iou_type);
    std::vector<double> scores;
    for (const CocoDetResult* d : cell.dets) scores.push_back(d->score);
    std::vector<char> crowd;
    for (const CocoDetAnnotation* g : cell.gts) crowd.push_back(g->iscrowd);
    for (size_t a = 0; a < A; ++a) {
      const AreaRange& range = params.area_ranges[a];
      std::vector<char> gt_ignored, det_outside;
      for (const CocoDetAnnotation* g : cell.gts) gt_ignored.push_back(g->iscrowd || !range.contains(g->area));
      for (const CocoDetResult* d : cell.dets) det_outside.push_back(!range.contains(d->bbox[2] * d->bbox[3]));
      matches[key.second][a].push_back(match_image(iou, scores, gt_ignored, crowd, det_outside, params.thresholds));
    }
  }

  result.per_category.assign(K, std::vector<std::vector<PrecisionRecall>>(A, std::vector<PrecisionRecall>(M)));
  for (size_t k = 0; k < K; ++k)
    for (size_t a = 0; a < A; ++a) {
      std::vector<const ImageMatches*> refs;
      for (const ImageMatches& im : matches[k][a]) refs.push_back(&im);
      for (size_t m = 0; m < M; ++m)
        result.per_category[k][a][m] = accumulate_matches(refs, params.thresholds.size(), size_t(params.max_dets[m]));
    }

  const std::array<SummaryLine, 12> lines = summary_lines(params);
  for (size_t i = 0; i < lines.size(); ++i)
    result.stats[i] = result.summarize(lines[i].ap, lines[i].iou, lines[i].area, lines[i].max_dets);
  return result;
}

std::string format_coco_det_eval(const CocoDetEvalResult& r) {
  const CocoDetEvalParams& p = r.params;
  const std::array<SummaryLine, 12> lines = summary_lines(p);
  std::string out;
  char iou[32], line[160];
  for (size_t i = 0; i < lines.size(); ++i) {
    const SummaryLine& l = lines[i];
    if (l.iou < 0) std::snprintf(iou, sizeof iou, "%0.2f:%0.2f", p.thresholds.front(), p.thresholds.back());
    else std::snprintf(iou, sizeof iou, "%0.2f", l.iou);
    std::snprintf(line, sizeof line, " %-18s %s @[ IoU=%-9s | area=%6s | maxDets=%3d ] = %0.3f\n",
                  l.ap ? "Average Precision" : "Average Recall", l.ap ? "(AP)" : "(AR)", iou, l.area, l.max_dets,
                  r.stats[i]);
    out += line;
  }
  return out;
}

}  // namespace oc
