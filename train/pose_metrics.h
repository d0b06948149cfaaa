// Pose evaluation in one include: PCK and mean joint error (single person), COCO keypoint AP/AR
// from OKS, and COCO keypoint result files.
#pragma once
#include "train/coco_results.h"
#include "train/oks_eval.h"
#include "train/pck.h"
