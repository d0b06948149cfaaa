// The LIFT task (task.h): a detector, an orientation estimator and a descriptor (nets/lift/lift.h)
// trained in LIFT's order on patch quadruplets (data.dataset "homography_patches": views P1, P2 of
// one keypoint in two images related by a homography, P3 a different keypoint, P4 no keypoint),
// one stage per run, each starting from the previous stage's checkpoint (train.init_from):
//   descriptor   crops at the patch centre, P2 rotated by the true angle; descriptor loss
//                (hardest-in-batch triplet, or LIFT's pair hinge with P3)
//   orientation  the descriptor frozen: crops rotated by the predicted orientations; loss =
//                the descriptor distance of P1 and P2
//   detector     orientation and descriptor frozen: the keypoint is the soft-argmax of the score
//                map in the patch's central window, the crops follow it; loss = the descriptor
//                loss + classification_weight x (P1-P3 keypoints vs P4 not, by the smooth maximum)
// Evaluation: the stage's loss (score: its negative) and FPR95 on the test quadruplets, and with
// task.eval_pairs matching on held-out image pairs (score: MMA at 3 px).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "train/tasks/task.h"

namespace oc {

std::vector<std::string> lift_task_keys();
void read_lift_task(ConfigObject& t, TaskSettings& s, const DataSettings& data);
std::unique_ptr<Task> make_lift_task(const Experiment& e, bool with_train, const std::string& eval_split);

}  // namespace oc
