// The MPI communicator (see mpi_communicator.h). Every collective is MPI's non-blocking form,
// waited for by polling with a deadline: a process whose peers died or hang ends the run with a
// message naming the collective (MPI's blocking calls would wait forever, spinning a core).
// Sums are an all-to-all of equal chunks, each chunk summed by its owner in rank order, then an
// all-gather: the result does not depend on MPI's reduction algorithms (which may change the
// order of a float sum with the message size or the process count), and every rank gets the same bits.
#include "train/dist/mpi_communicator.h"

#if OCELLUS_HAS_MPI
#include <mpi.h>
#endif

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <thread>

#include "core/log.h"

namespace oc {

bool mpi_built() { return OCELLUS_HAS_MPI != 0; }

#if OCELLUS_HAS_MPI
namespace {

// MPI_Init_thread once; MPI_Finalize when the last communicator holding the session is gone.
struct MpiSession {
  MpiSession() {
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_MULTIPLE, &provided);
    if (provided < MPI_THREAD_MULTIPLE) {
      MPI_Finalize();
      OC_FAIL("MPI: this MPI library does not support MPI_THREAD_MULTIPLE (the gradient reducer's thread "
              "and the training loop run collectives at once); OpenMPI 4 built with threads does");
    }
  }
  ~MpiSession() { MPI_Finalize(); }
};

template <class T>
MPI_Datatype mpi_type();
template <>
MPI_Datatype mpi_type<float>() { return MPI_FLOAT; }
template <>
MPI_Datatype mpi_type<double>() { return MPI_DOUBLE; }
template <>
MPI_Datatype mpi_type<int64_t>() { return MPI_INT64_T; }

int count_of(int64_t n, const char* what) {
  OC_CHECK(n <= INT_MAX, "MPI ", what, ": ", n, " elements in one piece exceed MPI's int count");
  return static_cast<int>(n);
}

class MpiCommunicator : public Communicator {
 public:
  MpiCommunicator(std::shared_ptr<MpiSession> session, MPI_Comm comm) : session_(std::move(session)), comm_(comm) {
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
  }
  ~MpiCommunicator() override { MPI_Comm_free(&comm_); }
  using Communicator::all_reduce_sum;
  using Communicator::broadcast;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  const char* backend() const override { return "MPI"; }

  void all_reduce_sum(float* data, int64_t n) override { sum(data, n); }
  void all_reduce_sum(double* data, int64_t n) override { sum(data, n); }
  void all_reduce_sum(int64_t* data, int64_t n) override { sum(data, n); }

  void broadcast(void* data, int64_t bytes, int root) override {
    constexpr int64_t kPiece = int64_t(1) << 30;
    for (int64_t at = 0; at < bytes; at += kPiece) {
      MPI_Request req;
      MPI_Ibcast(static_cast<char*>(data) + at, static_cast<int>(std::min(kPiece, bytes - at)), MPI_BYTE, root, comm_,
                 &req);
      wait(req, "a broadcast");
    }
  }

  std::vector<std::string> all_gather(const std::string& mine) override {
    int64_t len = static_cast<int64_t>(mine.size());
    std::vector<int64_t> lens(static_cast<size_t>(size_));
    MPI_Request req;
    MPI_Iallgather(&len, 1, MPI_INT64_T, lens.data(), 1, MPI_INT64_T, comm_, &req);
    wait(req, "a gather");
    std::vector<int> counts(lens.size()), displs(lens.size());
    int64_t total = 0;
    for (size_t r = 0; r < lens.size(); ++r) {
      counts[r] = count_of(lens[r], "gather");
      displs[r] = count_of(total, "gather");
      total += lens[r];
    }
    std::string all(static_cast<size_t>(total), '\0');
    MPI_Iallgatherv(mine.data(), counts[static_cast<size_t>(rank_)], MPI_CHAR, all.data(), counts.data(),
                    displs.data(), MPI_CHAR, comm_, &req);
    wait(req, "a gather");
    std::vector<std::string> out;
    for (size_t r = 0; r < lens.size(); ++r) out.push_back(all.substr(static_cast<size_t>(displs[r]), lens[r]));
    return out;
  }

  void barrier() override {
    MPI_Request req;
    MPI_Ibarrier(comm_, &req);
    wait(req, "a barrier");
  }

  [[noreturn]] void abort(const std::string& why) override {
    log_line(why);
    std::fflush(stdout);
    MPI_Abort(MPI_COMM_WORLD, 1);
    std::_Exit(1);  // MPI_Abort does not return; this is for the compiler
  }

  std::unique_ptr<Communicator> duplicate() override {
    MPI_Comm c;
    MPI_Comm_dup(comm_, &c);
    auto d = std::make_unique<MpiCommunicator>(session_, c);
    d->set_timeout(timeout_s_);
    return d;
  }

 private:
  // Polls until `req` completes (MPI moves a non-blocking collective on only inside MPI calls): for
  // 5 ms yielding between polls, as a large message needs many, then sleeping so that a rank waiting
  // for a slower one leaves it the CPU. Past the timeout, the run ends with a message naming the wait.
  void wait(MPI_Request& req, const char* what) {
    const auto start = std::chrono::steady_clock::now();
    for (int polls = 0;; ++polls) {
      int done = 0;
      MPI_Test(&req, &done, MPI_STATUS_IGNORE);
      if (done) return;
      const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (waited > timeout_s_)
        abort(str_cat("ocellus: error: rank ", rank_, " of ", size_, ": ", what, " waited ", static_cast<int64_t>(waited),
                      " s for the other processes (train.distributed.timeout_s is ", timeout_s_,
                      "): one of them has died or hangs; ending the run"));
      if (waited < 0.005) std::this_thread::yield();
      else std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  }

  // All-to-all of chunk r to rank r; each rank sums the N copies of its chunk in rank order; all-gather.
  template <class T>
  void sum(T* data, int64_t n) {
    if (size_ == 1 || n == 0) return;
    const int64_t N = size_, chunk = (n + N - 1) / N;
    const int c = count_of(chunk, "sum");
    // The data padded to N equal chunks, and the N copies of this rank's chunk (kept between calls:
    // a gradient bucket's megabytes would otherwise be allocated and zeroed each step).
    T* send = scratch<T>(send_, chunk * N);
    T* recv = scratch<T>(recv_, chunk * N);
    std::copy(data, data + n, send);
    std::fill(send + n, send + chunk * N, T(0));
    MPI_Request req;
    MPI_Ialltoall(send, c, mpi_type<T>(), recv, c, mpi_type<T>(), comm_, &req);
    wait(req, "a sum (all-to-all)");
    std::vector<const T*> parts;
    for (int64_t r = 0; r < N; ++r) parts.push_back(recv + r * chunk);
    sum_in_rank_order(parts, chunk, send);
    MPI_Iallgather(send, c, mpi_type<T>(), recv, c, mpi_type<T>(), comm_, &req);
    wait(req, "a sum (all-gather)");
    std::copy(recv, recv + n, data);
  }

  template <class T>
  static T* scratch(std::vector<char>& buf, int64_t n) {
    const size_t bytes = static_cast<size_t>(n) * sizeof(T);
    if (buf.size() < bytes) buf.resize(bytes);
    return reinterpret_cast<T*>(buf.data());
  }

  std::shared_ptr<MpiSession> session_;
  MPI_Comm comm_;
  std::vector<char> send_, recv_;  // the sums' buffers (one thread uses a communicator)
  int rank_ = 0, size_ = 1;
};

}  // namespace

std::shared_ptr<Communicator> start_mpi_world() {
  auto session = std::make_shared<MpiSession>();
  MPI_Comm c;
  MPI_Comm_dup(MPI_COMM_WORLD, &c);
  return std::make_shared<MpiCommunicator>(session, c);
}

#else

std::shared_ptr<Communicator> start_mpi_world() {
  OC_FAIL("this build of ocellus has no MPI: install openmpi-bin and libopenmpi-dev (tools/setup.sh) and rebuild");
}

#endif

}  // namespace oc
