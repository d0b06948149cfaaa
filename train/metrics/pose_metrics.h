// Pose evaluation in one include: PCK and mean joint error (single person), COCO keypoint AP/AR
// from OKS, and COCO keypoint result files.
#pragma once
#include "train/io/coco_results.h"
#include "train/metrics/oks_eval.h"
#include "train/metrics/pck.h"
