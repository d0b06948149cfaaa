// The pose task (task.h): a pose head (nets/pose/pose_head.h) trained on a data set of people with
// keypoints, scored by PCK (single-person heads) or COCO keypoint AP (multi-person heads).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "train/tasks/task.h"

namespace oc {

// The task.* keys of "pose" (docs/config.md), read into s.pose; errors name the key.
std::vector<std::string> pose_task_keys();
void read_pose_task(ConfigObject& t, TaskSettings& s, const DataSettings& data);
std::unique_ptr<Task> make_pose_task(const Experiment& e, bool with_train, const std::string& eval_split);

}  // namespace oc
