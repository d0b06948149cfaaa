// Out of device memory is an oc::Error that names the request, the device and what is in use, never a
// crash; and the allocator works on afterwards. 1 TiB is more than any GPU here holds (and more than the
// emulation's 8 GiB devices).
#include <catch2/catch.hpp>

#include "core/cuda_allocator.h"
#include "tests/cuda/parity.h"

using namespace oc;

TEST_CASE("cuda: a request past the device's memory is an error naming the sizes, and the allocator goes on") {
  Tensor held = to(test::rand({64, 64}, 5), Device::cuda());
  const size_t in_use = cuda_memory_stats(0).allocated;
  const size_t tib = size_t{1} << 40;
  REQUIRE_THROWS_WITH(cuda_caching_alloc(tib, 0),
                      Catch::Contains("CUDA out of memory allocating 1099511627776 bytes on cuda:0") &&
                          Catch::Contains(std::to_string(in_use) + " bytes are in use by tensors") &&
                          Catch::Contains("bytes free"));
  REQUIRE(cuda_memory_stats(0).allocated == in_use);
  // A tensor too large: the same error through Tensor::empty, naming the bytes its shape needs.
  REQUIRE_THROWS_WITH(Tensor::empty({int64_t{1} << 38}, DType::f32, Device::cuda()),
                      Catch::Contains("CUDA out of memory allocating 1099511627776 bytes"));
  // A size no device can hold is refused before it is rounded (which would wrap around).
  REQUIRE_THROWS_WITH(cuda_caching_alloc(~size_t{0}, 0), Catch::Contains("no device holds that much"));
  // The allocator still serves, and the tensor held across the failures is intact.
  const Tensor again = to(add(held, 1.0), Device::cpu());
  REQUIRE(to_vector<float>(again) == to_vector<float>(add(to(held, Device::cpu()), 1.0)));
}
