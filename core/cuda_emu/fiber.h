// Fibers for the CUDA emulation: each emulated GPU thread of a block runs on its own small stack,
// and the block's scheduler switches between them on one OS thread. The switch saves and restores
// only the callee-saved registers (x86-64 System V), about 20 instructions: ucontext would make a
// system call per switch. AddressSanitizer and ThreadSanitizer are told about every switch, so they
// follow the stacks.
#pragma once
#include <cstddef>
#include <vector>

namespace oc::emu {

class Fiber {
 public:
  using Entry = void (*)(void* arg);
  Fiber() = default;
  Fiber(const Fiber&) = delete;
  Fiber& operator=(const Fiber&) = delete;
  ~Fiber();

  // Prepares the fiber to call entry(arg) on its next resume. The stack is kept between uses.
  void reset(Entry entry, void* arg);
  // Runs the fiber from the scheduler until it calls yield_to_scheduler() (or finishes).
  void resume();
  // Called on the fiber: back to the scheduler that resumed it. `finished`: never resumed again.
  void yield_to_scheduler(bool finished = false);

 private:
  void* stack_ = nullptr;  // mmap'd, with a guard page below
  size_t stack_bytes_ = 0;
  size_t stagger_ = 0;  // the stack top's offset, so fibers' hot frames do not share cache sets
  void* sp_ = nullptr;            // the fiber's saved stack pointer
  void* scheduler_sp_ = nullptr;  // the scheduler's, while the fiber runs
  Entry entry_ = nullptr;
  void* arg_ = nullptr;
  // AddressSanitizer's bookkeeping of the scheduler's stack across switches.
  void* asan_fake_stack_ = nullptr;
  const void* scheduler_stack_bottom_ = nullptr;
  size_t scheduler_stack_size_ = 0;
  // ThreadSanitizer's context of this fiber (its call stack and clock), and of the scheduler.
  void* tsan_fiber_ = nullptr;
  void* tsan_scheduler_ = nullptr;
  bool finished_ = true;  // the last run ended (a fiber left at a barrier by a failed block has not)

  static void start(Fiber* self);
};

}  // namespace oc::emu
