// Device dispatch for op front ends: OC_ON_DEVICE(device, gemm, args...) calls gemm_cpu(args...) or
// gemm_cuda(args...) with DEV made the current CUDA device (core/device.h). Builds without CUDA never reference the _cuda symbols and report clearly.
// Each call is a scope of the op profile (core/profile.h) under the kernel's name.
#pragma once
#include "core/device.h"
#include "core/profile.h"

#if OCELLUS_HAS_CUDA
#define OC_ON_DEVICE(DEV, NAME, ...)   \
  do {                                 \
    ::oc::ProfileScope oc_profile_(#NAME); \
    if ((DEV).is_cpu())                \
      NAME##_cpu(__VA_ARGS__);         \
    else {                             \
      ::oc::CudaDeviceGuard oc_guard_(DEV); \
      NAME##_cuda(__VA_ARGS__);        \
    }                                  \
  } while (0)
#else
#define OC_ON_DEVICE(DEV, NAME, ...)   \
  do {                                 \
    ::oc::ProfileScope oc_profile_(#NAME); \
    if ((DEV).is_cpu())                \
      NAME##_cpu(__VA_ARGS__);         \
    else                               \
      ::oc::require_cuda(#NAME);       \
  } while (0)
#endif
