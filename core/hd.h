// OC_HD marks helpers shared by the CPU reference and the CUDA kernel (written once, compiled twice).
#pragma once
#if defined(__CUDACC__)
#define OC_HD __host__ __device__ __forceinline__
#else
#define OC_HD inline
#endif
