// The data loader: background worker threads assemble batches (gather, augment, normalize) into a
// bounded queue, delivered in order. The result depends only on (data, options, epoch), never on the
// number of workers or their scheduling.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "core/tensor.h"
#include "train/data/augment.h"
#include "train/data/dataset.h"

namespace oc {

struct LoaderOptions {
  int64_t batch_size = 64;
  bool shuffle = true;
  uint64_t seed = 0;
  int workers = 2;   // background threads; 0 assembles each batch inside next() on the caller's thread
  int prefetch = 4;  // batches assembled ahead of the consumer (in flight or waiting), >= 1
  bool drop_last = false;
  // Each sample's augmentation when any() is on: the data set's own transform when it has one
  // (ImageDataset::transform, which moves its targets and masks too), else these image operations,
  // refused for a data set with targets (they would not move them).
  AugmentOptions augment;
  double mean = 0, std = 1;  // pixel = (v / 255 - mean) / std
  // Data-parallel runs (docs/distributed.md): this process reads shard `shard_index` of
  // `shard_count`: the positions shard_index, shard_index + shard_count, ... of each epoch's order.
  // shard_pad (training): the order is first extended by wrapping around (its first samples again)
  // to a multiple of shard_count, so that every shard, and every process's epoch, has the same
  // length. Without it (evaluation) the shards cover every sample once and differ by at most one.
  int64_t shard_index = 0, shard_count = 1;
  bool shard_pad = true;
};

struct Batch {
  Tensor images;  // float32 [B,C,H,W], normalized, on the CPU
  Tensor labels;  // int64 [B]
  Tensor targets; // float32 [B, ...] when the data set has targets, else undefined
  Tensor masks;   // uint8 [B,M,H,W] on the CPU when the data set has masks, else undefined
  int64_t index = 0;  // batch number within the epoch
  // The epoch's augmentation key (DataLoader::augment_seed): a task that draws random numbers per
  // batch keys them on (augment_seed, index), so a resumed run draws the same ones.
  uint64_t augment_seed = 0;
};

class DataLoader {
 public:
  // Keeps a copy of `data` (tensor handles: the pixels are shared, not copied). Checks the options
  // and the data set's shapes and dtypes.
  DataLoader(const ImageDataset& data, const LoaderOptions& opt);
  ~DataLoader();  // stops and joins the workers, also mid-epoch
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  int64_t batches_per_epoch() const;
  int64_t num_samples() const { return data_.size(); }
  int64_t shard_samples() const;  // samples per epoch of this shard (num_samples() unsharded)
  const LoaderOptions& options() const { return opt_; }

  // Begins epoch `epoch` (>= 0), abandoning any epoch in progress. The order is randperm(N) from
  // Generator(seed + epoch) when shuffling, else 0..N-1; sample i's augmentation is drawn from a
  // Philox stream keyed by (seed, epoch) at offset i * kAugmentBlocks, so the same (seed, epoch)
  // gives the same batches in any process with any number of workers (a data set's transform gets
  // (sample, augment_seed(seed, epoch)) and must depend only on them). skip_batches in
  // [0, batches_per_epoch()] starts at that batch (for resuming mid-epoch).
  void start_epoch(int64_t epoch, int64_t skip_batches = 0);
  // The next batch of the epoch, in order; false at the end of the epoch. An exception thrown while
  // assembling a batch is re-thrown here (and ends the epoch).
  bool next(Batch& out);

  // The sample order of an epoch, before sharding.
  static std::vector<int64_t> epoch_order(int64_t n, bool shuffle, uint64_t seed, int64_t epoch);
  // Shard `index` of `count` of an order (LoaderOptions::shard_index; what start_epoch uses).
  static std::vector<int64_t> shard_order(const std::vector<int64_t>& order, int64_t index, int64_t count, bool pad);
  // The Philox key of an epoch's augmentation draws.
  static uint64_t augment_seed(uint64_t seed, int64_t epoch);

 private:
  struct Slot {
    Batch batch;
    std::exception_ptr error;
  };
  Batch assemble(int64_t b) const;
  void worker_loop();
  void stop_workers();

  ImageDataset data_;
  LoaderOptions opt_;
  float lut_[256];  // normalized value of each uint8 pixel

  // The current epoch; written by start_epoch while no worker runs, read by workers.
  bool started_ = false;
  int64_t epoch_ = 0;
  uint64_t augment_seed_ = 0;
  std::vector<int64_t> order_;
  int64_t end_batch_ = 0;

  std::mutex mu_;
  std::condition_variable work_cv_, ready_cv_;
  bool stop_ = false;
  int64_t next_claim_ = 0;    // the next batch a worker may take
  int64_t next_deliver_ = 0;  // the next batch next() returns
  std::map<int64_t, Slot> ready_;
  std::vector<std::thread> threads_;
};

}  // namespace oc
