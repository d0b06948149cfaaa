// Where a tensor's memory lives: the host, or one CUDA device.
#pragma once
#include <string>

namespace oc {

enum class DeviceType : uint8_t { CPU, CUDA };

struct Device {
  DeviceType type = DeviceType::CPU;
  int index = 0;

  bool is_cpu() const { return type == DeviceType::CPU; }
  bool is_cuda() const { return type == DeviceType::CUDA; }
  bool operator==(const Device& o) const { return type == o.type && (is_cpu() || index == o.index); }
  bool operator!=(const Device& o) const { return !(*this == o); }
  std::string str() const { return is_cpu() ? "cpu" : "cuda:" + std::to_string(index); }

  static Device cpu() { return {}; }
  static Device cuda(int index = 0) { return {DeviceType::CUDA, index}; }
  // "cpu", "cuda", "cuda:1", "auto" (cuda:0 when a GPU is present, else cpu); anything else is an
  // error naming the string.
  static Device parse(const std::string& s);
};

// True when ocellus was built with CUDA and a device is present.
bool cuda_available();
int cuda_device_count();
// Throws a clear error (built without CUDA / no device) unless cuda_available().
void require_cuda(const char* what);

// Makes a CUDA `device` the current one while the guard lives, so an op on cuda:1 launches on device
// 1's stream and allocates its scratch there (every op dispatch holds one); nothing for the CPU or
// when the device is current already.
class CudaDeviceGuard {
 public:
  explicit CudaDeviceGuard(Device device);
  ~CudaDeviceGuard();
  CudaDeviceGuard(const CudaDeviceGuard&) = delete;
  CudaDeviceGuard& operator=(const CudaDeviceGuard&) = delete;

 private:
  int previous_ = -1;  // the device to restore; -1: none changed
};

}  // namespace oc
