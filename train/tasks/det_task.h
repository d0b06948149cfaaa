// The detection task (task.h): a detection head (nets/det/det_head.h) trained on a data set of
// objects with boxes (data.dataset "det_coco"), scored by COCO box AP.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "train/tasks/task.h"

namespace oc {

// The task.* keys of "detection" (docs/config.md), read into s.det; errors name the key.
std::vector<std::string> det_task_keys();
void read_det_task(ConfigObject& t, TaskSettings& s, const DataSettings& data);
std::unique_ptr<Task> make_det_task(const Experiment& e, bool with_train, const std::string& eval_split);

}  // namespace oc
