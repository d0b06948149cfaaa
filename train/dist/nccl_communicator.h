// NCCL for CUDA tensors (the CUDA toolkit's libnccl), its unique id passed through the host
// communicator (MPI). Built when CUDA is and nccl.h is found (OCELLUS_HAS_NCCL).
#pragma once
#include <memory>

#include "train/dist/communicator.h"

namespace oc {

// A device communicator over the same processes as `host`, for the current CUDA device; every
// process must call it at the same point. nullptr in a build without NCCL (CUDA tensors then go
// through host copies).
std::unique_ptr<DeviceCommunicator> make_nccl_communicator(Communicator& host);

}  // namespace oc
