// The MPI communicator (OpenMPI on Debian: openmpi-bin, libopenmpi-dev). Only mpi_communicator.cpp
// sees mpi.h; a build without MPI compiles it to a stub that refuses.
#pragma once
#include <memory>

#include "train/dist/communicator.h"

namespace oc {

// MPI_Init_thread (MPI_THREAD_MULTIPLE: the gradient reducer's thread and the main thread run
// collectives at once, on communicators of their own) and the communicator over MPI_COMM_WORLD.
// MPI_Finalize runs when the last communicator from it is destroyed.
std::shared_ptr<Communicator> start_mpi_world();

}  // namespace oc
