// The CUDA runtime API: NVIDIA's under nvcc and the real CUDA build, our emulation of it under
// -DOCELLUS_CUDA=EMULATE (core/cuda_emu/), so the same sources compile for both. Also OC_SHARED,
// the one way to declare a static __shared__ array: OC_SHARED(float, tile, [32][33]);
#pragma once
#if OCELLUS_CUDA_EMULATED
#include "core/cuda_emu/cuda_emu.h"
#define OC_SHARED(type, name, dims) OC_EMU_SHARED(type, name, dims)
#else
#include <cuda_runtime.h>
#define OC_SHARED(type, name, dims) __shared__ type name dims
#endif
