// The data-parallel additions to the training loop (see data_parallel.h).
#include "train/dist/data_parallel.h"

#include <cstdio>
#include <cstdlib>

#include "core/autograd.h"
#include "kernels/copy/copy.h"
#include "layers/basic.h"
#include "layers/batch_norm_sync.h"
#include "train/dist/nccl_communicator.h"

namespace oc {
namespace {

// Rank r's dropout layers draw at this offset times r of their streams: far beyond what any run draws.
constexpr uint64_t kDropoutRankStride = uint64_t(1) << 50;

std::vector<Dropout*> dropout_layers(Network& model) {
  std::vector<Dropout*> out;
  for (const auto& l : model.layers())
    if (auto* d = dynamic_cast<Dropout*>(l.module.get())) out.push_back(d);
  return out;
}

// A JSON pointer ("/model/layers/0/out_channels") as the config docs write keys
// ("model.layers[0].out_channels").
std::string dotted(const std::string& pointer) {
  std::string out;
  size_t at = 1;
  while (at <= pointer.size() && !pointer.empty()) {
    size_t end = pointer.find('/', at);
    if (end == std::string::npos) end = pointer.size();
    std::string token;  // with the pointer's escapes undone: ~1 is '/', ~0 is '~'
    for (size_t i = at; i < end; ++i) {
      if (pointer[i] == '~' && i + 1 < end) token += pointer[++i] == '1' ? '/' : '~';
      else token += pointer[i];
    }
    const bool index = !token.empty() && token.find_first_not_of("0123456789") == std::string::npos;
    out += index ? "[" + token + "]" : (out.empty() ? "" : ".") + token;
    at = end + 1;
  }
  return out;
}

std::string value_at(const json& j, const json::json_pointer& p) { return j.contains(p) ? j.at(p).dump() : "absent"; }

int local_rank() {
  for (const char* name : {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID"}) {
    const char* v = std::getenv(name);
    if (v && *v) return std::atoi(v);
  }
  return 0;
}

}  // namespace

// NCCL's collectives are only queued: wait for them here, against the timeout, rather than in the
// next host read of a result, which would wait forever for a dead peer.
void wait_for_device(Communicator& comm, const Tensor& t, const char* what) {
  if (t.device().is_cuda() && comm.device_communicator()) comm.device_communicator()->wait(what);
}

Tensor process_sum(Communicator& comm, const Tensor& x) {
  Tensor out = contiguous(clone(x.detach()));
  comm.all_reduce_sum(out);
  wait_for_device(comm, out, "sync batch norm's sum");
  record_op(out, "process_sum", {x}, [&comm](const Tensor& g) {
    Tensor summed = contiguous(clone(g));
    comm.all_reduce_sum(summed);
    wait_for_device(comm, summed, "sync batch norm's gradient sum");
    return std::vector<Tensor>{summed};
  });
  return out;
}

std::string first_config_difference(const json& a, const json& b) {
  const json patch = json::diff(a, b);
  if (patch.empty()) return "";
  const std::string path = patch[0].at("path").get<std::string>();
  const json::json_pointer p(path);
  return str_cat(path.empty() ? "the top level" : dotted(path), " (", value_at(a, p), " against ", value_at(b, p), ")");
}

DataParallel::DataParallel(std::shared_ptr<Communicator> comm, const DistributedSettings& s)
    : comm_(comm ? std::move(comm) : std::make_shared<SingleProcessCommunicator>()), settings_(s) {
  comm_->set_timeout(s.timeout_s);
}

DataParallel::~DataParallel() {
  if (sync_batchnorm_on_) set_batch_norm_process_sum(nullptr);
}

Device DataParallel::local_device(Device configured) const {
  if (!configured.is_cuda() || !active()) return configured;
  const int count = cuda_device_count();
  OC_CHECK(count > 0, "rank ", rank(), ": the run trains on CUDA but this machine has no CUDA device");
  return Device::cuda(local_rank() % count);
}

void DataParallel::check_same_setup(const json& setup, const std::vector<NamedParam>& params) {
  if (!active()) return;
  std::string shapes;
  for (const NamedParam& p : params)
    shapes += p.name + " " + shape_str(p.param.shape()) + " " + dtype_name(p.param.dtype()) + "\n";
  const std::string mine = setup.dump();
  const std::vector<std::string> all = comm_->all_gather(mine + '\n' + shapes);
  const std::string& first = all[0];
  const size_t cut0 = first.find('\n');
  for (size_t r = 1; r < all.size(); ++r) {
    if (all[r] == first) continue;
    const size_t cut = all[r].find('\n');
    const json a = json::parse(first.substr(0, cut0)), b = json::parse(all[r].substr(0, cut));
    std::string diff = first_config_difference(a, b);
    if (diff.rfind("config.", 0) == 0) diff = diff.substr(7);
    OC_CHECK(diff.empty(), "the processes of this run differ: rank ", r, "'s setup differs from rank 0's at ", diff,
             "; every process must run the same config, --set overrides, --resume and device type");
    // The same config, other parameters: name the first that differs.
    std::string la, lb;
    for (size_t i = cut0 + 1, j = cut + 1; i < first.size() || j < all[r].size();) {
      const size_t ei = std::min(first.find('\n', i), first.size()), ej = std::min(all[r].find('\n', j), all[r].size());
      la = first.substr(std::min(i, first.size()), ei - std::min(i, first.size()));
      lb = all[r].substr(std::min(j, all[r].size()), ej - std::min(j, all[r].size()));
      if (la != lb) break;
      i = ei + 1, j = ej + 1;
    }
    OC_FAIL("the processes of this run differ: rank 0 trains parameter \"", la.empty() ? "(none)" : la, "\" where rank ",
            r, " trains \"", lb.empty() ? "(none)" : lb, "\"; every process must build the same model");
  }
}

void DataParallel::broadcast_model(Network& model) {
  if (!active()) return;
  for (auto& [name, t] : model.named_parameters()) comm_->broadcast(t, 0);
  broadcast_buffers(model);  // waits for the device too
  for (Dropout* d : dropout_layers(model)) d->generator().offset += kDropoutRankStride * static_cast<uint64_t>(rank());
}

void DataParallel::broadcast_buffers(Network& model) {
  if (!active()) return;
  Tensor last;
  for (auto& [name, t] : model.named_buffers()) comm_->broadcast(last = t, 0);
  for (auto& [name, t] : model.named_parameters()) last = t;  // a model with no buffers: its device
  if (last.defined()) wait_for_device(*comm_, last, "a broadcast of the model");
}

void DataParallel::start(const std::vector<NamedParam>& params) {
  if (!active()) return;
  const Device device = params.at(0).param.device();
  if (device.is_cuda() && nccl_built() && !comm_->device_communicator()) {
    CudaDeviceGuard on(device);
    comm_->set_device_communicator(make_nccl_communicator(*comm_));
  }
  reducer_ = std::make_unique<GradientReducer>(*comm_, params,
                                               static_cast<int64_t>(settings_.bucket_mb * 1024 * 1024));
  if (settings_.sync_batchnorm) {
    Communicator* comm = comm_.get();
    set_batch_norm_process_sum([comm](const Tensor& x) { return process_sum(*comm, x); });
    sync_batchnorm_on_ = true;
  }
}

void DataParallel::broadcast_resumed(Network& model, Optimizer& opt, TrainPosition& pos) {
  if (!active()) return;
  for (auto& [name, t] : model.named_parameters()) comm_->broadcast(t, 0);
  broadcast_buffers(model);
  std::vector<NamedParam> state = opt.state();
  for (NamedParam& s : state) comm_->broadcast(s.param, 0);
  if (!state.empty()) wait_for_device(*comm_, state[0].param, "a broadcast of the optimizer state");
  int64_t steps = opt.steps();
  comm_->broadcast(&steps, sizeof steps, 0);
  opt.load_state(state, steps);
  int64_t where[4] = {pos.epoch, pos.step_in_epoch, pos.global_step, pos.processes};
  comm_->broadcast(where, sizeof where, 0);
  pos.epoch = where[0], pos.step_in_epoch = where[1], pos.global_step = where[2], pos.processes = where[3];
  comm_->broadcast(&pos.best_score, sizeof pos.best_score, 0);
  std::string sums = pos.epoch_sums.dump();
  comm_->broadcast(sums, 0);
  pos.epoch_sums = json::parse(sums);
  std::vector<Dropout*> dropouts = dropout_layers(model);
  std::vector<uint64_t> offsets;
  for (Dropout* d : dropouts) offsets.push_back(d->generator().offset);
  comm_->broadcast(offsets.data(), static_cast<int64_t>(offsets.size() * sizeof(uint64_t)), 0);
  for (size_t i = 0; i < dropouts.size(); ++i)
    dropouts[i]->generator().offset = offsets[i] + kDropoutRankStride * static_cast<uint64_t>(rank());
}

void DataParallel::backward(const Tensor& loss) {
  if (reducer_) reducer_->backward(loss);
  else loss.backward();
}

void DataParallel::sum(std::vector<double>& values) {
  comm_->all_reduce_sum(values.data(), static_cast<int64_t>(values.size()));
}

std::string DataParallel::timing_summary() const {
  if (!reducer_) return "";
  const GradientReducer::Timing t = reducer_->timing();
  if (t.steps == 0) return "";
  const double n = static_cast<double>(t.steps);
  char buf[256];
  const char* by = comm_->device_communicator() ? "NCCL" : comm_->backend();
  std::snprintf(buf, sizeof buf,
                "gradient sums over %d processes (%s), %zu buckets, per step: backward %.1f ms, summing %.1f ms "
                "(on the reducer's thread, beside backward), %.1f ms waited after backward",
                size(), by, reducer_->buckets().size(), t.backward_ms / n, t.sum_ms / n, t.exposed_ms / n);
  return buf;
}

}  // namespace oc
