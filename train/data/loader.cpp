// DataLoader: a claim counter, a window of `prefetch` batches ahead of the consumer, and a map of
// finished batches that next() drains in order.
#include "train/data/loader.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "kernels/copy/copy.h"
#include "kernels/fill/fill.h"
#include "kernels/random/random.h"

namespace oc {
namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

}  // namespace

DataLoader::DataLoader(const ImageDataset& data, const LoaderOptions& opt) : data_(data), opt_(opt) {
  OC_CHECK(opt.batch_size >= 1, "DataLoader: batch_size must be >= 1, got ", opt.batch_size);
  OC_CHECK(opt.workers >= 0, "DataLoader: workers must be >= 0, got ", opt.workers);
  OC_CHECK(opt.prefetch >= 1, "DataLoader: prefetch must be >= 1, got ", opt.prefetch);
  OC_CHECK(opt.shard_count >= 1 && opt.shard_index >= 0 && opt.shard_index < opt.shard_count,
           "DataLoader: shard ", opt.shard_index, " of ", opt.shard_count, " does not exist");
  OC_CHECK(std::isfinite(opt.mean) && std::isfinite(opt.std) && opt.std > 0,
           "DataLoader: need a finite mean and std > 0, got mean ", opt.mean, ", std ", opt.std);
  opt.augment.check();
  OC_CHECK(data.images.defined() && data.labels.defined(), "DataLoader: the data set has no images or labels");
  OC_CHECK(data.images.dtype() == DType::u8 && data.images.dim() == 4,
           "DataLoader: images must be uint8 [N,C,H,W], got ", data.images.str());
  OC_CHECK(data.labels.dim() == 1 && data.labels.size(0) == data.images.size(0) && !is_floating(data.labels.dtype()),
           "DataLoader: labels must be integers [N] with N = ", data.images.size(0), ", got ", data.labels.str());
  data_.images = contiguous(to(data.images.detach(), Device::cpu()));
  data_.labels = contiguous(to(to(data.labels.detach(), Device::cpu()), DType::i64));
  if (data.targets.defined()) {
    OC_CHECK(data.targets.dim() >= 1 && data.targets.size(0) == data.images.size(0),
             "DataLoader: targets must be [N, ...] with N = ", data.images.size(0), ", got ", data.targets.str());
    // Flips, crops and affine warps would move the pixels but not the target coordinates; a data set
    // that moves them itself brings a transform.
    OC_CHECK(!opt.augment.any() || data.transform, "DataLoader: this data set has regression targets (keypoints or "
             "boxes): the loader's image augmentation would not move them; turn data.augment off");
    data_.targets = contiguous(to(to(data.targets.detach(), Device::cpu()), DType::f32));
  }
  if (data.masks.defined()) {
    const Tensor& im = data.images;
    OC_CHECK(data.masks.dtype() == DType::u8 && data.masks.dim() == 4 && data.masks.size(0) == im.size(0) &&
                 data.masks.size(2) == im.size(2) && data.masks.size(3) == im.size(3),
             "DataLoader: masks must be uint8 [N,M,H,W] with N = ", im.size(0), ", H x W = ", im.size(2), " x ",
             im.size(3), " (the images'), got ", data.masks.str());
    // Slot m of a sample's masks is the object of its target slot m.
    OC_CHECK(data.targets.defined() && data.targets.dim() >= 2 && data.targets.size(1) == data.masks.size(1),
             "DataLoader: masks ", data.masks.str(), " need targets [N,M,...] with the same M, got ",
             data.targets.defined() ? data.targets.str() : "none");
    data_.masks = contiguous(to(data.masks.detach(), Device::cpu()));
  }
  for (int v = 0; v < 256; ++v) lut_[v] = static_cast<float>((v / 255.0 - opt.mean) / opt.std);
}

DataLoader::~DataLoader() { stop_workers(); }

int64_t DataLoader::shard_samples() const {
  const int64_t n = data_.size(), count = opt_.shard_count;
  if (opt_.shard_pad) return (n + count - 1) / count;
  return (n - opt_.shard_index + count - 1) / count;  // the positions index, index + count, ... below n
}

int64_t DataLoader::batches_per_epoch() const {
  const int64_t n = shard_samples(), bs = opt_.batch_size;
  return opt_.drop_last ? n / bs : (n + bs - 1) / bs;
}

std::vector<int64_t> DataLoader::epoch_order(int64_t n, bool shuffle, uint64_t seed, int64_t epoch) {
  if (!shuffle) {
    std::vector<int64_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    return order;
  }
  Generator gen(seed + static_cast<uint64_t>(epoch));
  return to_vector<int64_t>(randperm(n, &gen));
}

std::vector<int64_t> DataLoader::shard_order(const std::vector<int64_t>& order, int64_t index, int64_t count,
                                             bool pad) {
  const int64_t n = static_cast<int64_t>(order.size());
  if (count == 1 || n == 0) return order;
  const int64_t end = pad ? (n + count - 1) / count * count : n;
  std::vector<int64_t> out;
  for (int64_t i = index; i < end; i += count) out.push_back(order[static_cast<size_t>(i % n)]);
  return out;
}

uint64_t DataLoader::augment_seed(uint64_t seed, int64_t epoch) {
  return splitmix64(splitmix64(seed ^ 0xA5A5A5A5DEADBEEFull) + static_cast<uint64_t>(epoch));
}

void DataLoader::stop_workers() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  std::lock_guard<std::mutex> lk(mu_);
  ready_.clear();
  stop_ = false;
}

void DataLoader::start_epoch(int64_t epoch, int64_t skip_batches) {
  OC_CHECK(epoch >= 0, "DataLoader::start_epoch: epoch must be >= 0, got ", epoch);
  const int64_t nb = batches_per_epoch();
  OC_CHECK(skip_batches >= 0 && skip_batches <= nb, "DataLoader::start_epoch: skip_batches must be in [0, ", nb,
           "] (batches per epoch), got ", skip_batches);
  stop_workers();
  epoch_ = epoch;
  order_ = shard_order(epoch_order(data_.size(), opt_.shuffle, opt_.seed, epoch), opt_.shard_index, opt_.shard_count,
                       opt_.shard_pad);
  augment_seed_ = augment_seed(opt_.seed, epoch);
  end_batch_ = nb;
  next_claim_ = next_deliver_ = skip_batches;
  started_ = true;
  const int64_t threads = std::min<int64_t>(opt_.workers, nb - skip_batches);
  for (int64_t i = 0; i < threads; ++i) threads_.emplace_back([this] { worker_loop(); });
}

void DataLoader::worker_loop() {
  for (;;) {
    int64_t b;
    {
      std::unique_lock<std::mutex> lk(mu_);
      work_cv_.wait(lk, [&] {
        return stop_ || next_claim_ >= end_batch_ || next_claim_ < next_deliver_ + opt_.prefetch;
      });
      if (stop_ || next_claim_ >= end_batch_) return;
      b = next_claim_++;
    }
    Slot slot;
    try {
      slot.batch = assemble(b);
    } catch (...) {
      slot.error = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lk(mu_);
      ready_[b] = std::move(slot);
    }
    ready_cv_.notify_all();
  }
}

bool DataLoader::next(Batch& out) {
  OC_CHECK(started_, "DataLoader::next: call start_epoch first");
  if (next_deliver_ >= end_batch_) return false;
  if (threads_.empty()) {  // workers = 0
    out = assemble(next_deliver_++);
    return true;
  }
  Slot slot;
  {
    std::unique_lock<std::mutex> lk(mu_);
    ready_cv_.wait(lk, [&] { return ready_.count(next_deliver_) != 0; });
    auto it = ready_.find(next_deliver_);
    slot = std::move(it->second);
    ready_.erase(it);
    ++next_deliver_;
  }
  work_cv_.notify_all();
  if (slot.error) {
    stop_workers();
    next_deliver_ = end_batch_;
    std::rethrow_exception(slot.error);
  }
  out = std::move(slot.batch);
  return true;
}

Batch DataLoader::assemble(int64_t b) const {
  const int64_t n = static_cast<int64_t>(order_.size()), bs = opt_.batch_size;
  const int64_t begin = b * bs, count = std::min(bs, n - begin);
  const int64_t C = data_.images.size(1), H = data_.images.size(2), W = data_.images.size(3), chw = C * H * W;
  Batch batch;
  batch.index = b;
  batch.augment_seed = augment_seed_;
  batch.images = Tensor::empty({count, C, H, W}, DType::f32);
  batch.labels = Tensor::empty({count}, DType::i64);
  float* dst = batch.images.data<float>();
  int64_t* labels = batch.labels.data<int64_t>();
  const uint8_t* images = data_.images.data<uint8_t>();
  const int64_t* all_labels = data_.labels.data<int64_t>();
  // The data set's transform, when it has one, replaces the image augmentation (never both).
  const bool transform = opt_.augment.any() && static_cast<bool>(data_.transform);
  const bool augment = opt_.augment.any() && !transform;
  std::vector<uint8_t> pixels(augment ? static_cast<size_t>(2 * chw) : 0);
  int64_t per = 0;  // target values per sample
  float* targets = nullptr;
  if (data_.targets.defined()) {
    Shape shape = data_.targets.shape();
    per = data_.targets.numel() / std::max<int64_t>(shape[0], 1);
    shape[0] = count;
    batch.targets = Tensor::empty(shape, DType::f32);
    targets = batch.targets.data<float>();
  }
  const float* all_targets = targets ? data_.targets.data<float>() : nullptr;
  int64_t mask_per = 0;  // mask bytes per sample (M*H*W)
  uint8_t* masks = nullptr;
  if (data_.masks.defined()) {
    Shape shape = data_.masks.shape();
    mask_per = shape[1] * shape[2] * shape[3];
    shape[0] = count;
    batch.masks = Tensor::empty(shape, DType::u8);
    masks = batch.masks.data<uint8_t>();
  }
  const uint8_t* all_masks = masks ? data_.masks.data<uint8_t>() : nullptr;
  Tensor transformed;  // keeps the transform's output alive while it is read
  for (int64_t i = 0; i < count; ++i) {
    const int64_t s = order_[static_cast<size_t>(begin + i)];
    const uint8_t* src = images + s * chw;
    float* target = targets ? targets + i * per : nullptr;
    if (targets) std::copy(all_targets + s * per, all_targets + (s + 1) * per, target);
    uint8_t* sample_masks = masks ? masks + i * mask_per : nullptr;
    if (masks) std::memcpy(sample_masks, all_masks + s * mask_per, static_cast<size_t>(mask_per));
    if (transform) {
      Tensor image = Tensor::empty({C, H, W}, DType::u8);
      std::memcpy(image.data<uint8_t>(), src, static_cast<size_t>(chw));
      transformed = data_.transform(s, augment_seed_, image, target, sample_masks);
      OC_CHECK(transformed.defined() && transformed.dtype() == DType::u8 && transformed.shape() == (Shape{C, H, W}),
               "DataLoader: the data set's transform returned ", transformed.defined() ? transformed.str() : "nothing",
               " for sample ", s, ", expected uint8 [", C, ",", H, ",", W, "]");
      transformed = contiguous(to(transformed, Device::cpu()));
      src = transformed.data<uint8_t>();
    } else if (augment) {
      const AugmentDraw d = draw_augment_for_sample(opt_.augment, H, W, augment_seed_, s);
      apply_augment(src, pixels.data(), pixels.data() + chw, C, H, W, d, opt_.augment.random_crop_padding);
      src = pixels.data();
    }
    float* o = dst + i * chw;
    for (int64_t k = 0; k < chw; ++k) o[k] = lut_[src[k]];
    labels[i] = all_labels[s];
  }
  return batch;
}

}  // namespace oc
