// The context switch of fiber.h, in assembly, and the sanitizers' annotations around it.
#include "core/cuda_emu/fiber.h"

#include <sys/mman.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>

#include "core/error.h"

#if defined(__SANITIZE_ADDRESS__)
#define OC_EMU_ASAN 1
#include <sanitizer/common_interface_defs.h>
#else
#define OC_EMU_ASAN 0
#endif

// ThreadSanitizer (g++ defines __SANITIZE_THREAD__, clang has the feature test).
#if defined(__SANITIZE_THREAD__)
#define OC_EMU_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define OC_EMU_TSAN 1
#endif
#endif
#ifndef OC_EMU_TSAN
#define OC_EMU_TSAN 0
#endif
#if OC_EMU_TSAN
#include <sanitizer/tsan_interface.h>
// Fiber::start and yield_to_scheduler(finished) never return: ThreadSanitizer would keep their frames
// on the fiber's call stack, two more per run, until it overflowed. Not instrumenting them keeps the
// stack balanced (their own memory accesses are the fiber's bookkeeping, ordered by the switches).
#if defined(__clang__)
#define OC_EMU_NO_TSAN __attribute__((disable_sanitizer_instrumentation))
#else
#define OC_EMU_NO_TSAN __attribute__((no_sanitize_thread))
#endif
#else
#define OC_EMU_NO_TSAN
#endif

// void oc_emu_switch(void** save_sp, void* load_sp): pushes the callee-saved registers and the
// SSE/x87 control words, stores the stack pointer in *save_sp, loads load_sp and pops the same from there.
// A new fiber's stack is laid out so that the pops and `ret` land in oc_emu_fiber_trampoline, which
// calls r13(r12).
asm(R"(
  .text
  .globl oc_emu_switch
  .type oc_emu_switch, @function
oc_emu_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $8, %rsp
  stmxcsr (%rsp)
  fnstcw 4(%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  ldmxcsr (%rsp)
  fldcw 4(%rsp)
  addq $8, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size oc_emu_switch, .-oc_emu_switch

  .globl oc_emu_fiber_trampoline
  .type oc_emu_fiber_trampoline, @function
oc_emu_fiber_trampoline:
  movq %r12, %rdi
  callq *%r13
  ud2
  .size oc_emu_fiber_trampoline, .-oc_emu_fiber_trampoline
  .section .note.GNU-stack,"",@progbits
  .text
)");

extern "C" void oc_emu_switch(void** save_sp, void* load_sp);
extern "C" void oc_emu_fiber_trampoline();

namespace oc::emu {
namespace {

// Generous for kernels' locals; pages are only touched (committed) as the stack grows. Under ASan
// frames are larger.
constexpr size_t kStackBytes = OC_EMU_ASAN ? (512u << 10) : (256u << 10);
constexpr size_t kGuardBytes = 4096;

}  // namespace

Fiber::~Fiber() {
  if (stack_) ::munmap(static_cast<char*>(stack_) - kGuardBytes, stack_bytes_ + kGuardBytes);
#if OC_EMU_TSAN
  if (tsan_fiber_) __tsan_destroy_fiber(tsan_fiber_);
#endif
}

void Fiber::reset(Entry entry, void* arg) {
  if (!stack_) {
    void* p = ::mmap(nullptr, kStackBytes + kGuardBytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    OC_CHECK(p != MAP_FAILED, "cuda emulation: cannot map a fiber stack of ", kStackBytes, " bytes");
    ::mprotect(p, kGuardBytes, PROT_NONE);  // a stack overflow faults instead of corrupting memory
    stack_ = static_cast<char*>(p) + kGuardBytes;
    stack_bytes_ = kStackBytes;
    // Every stack top would sit at the same offset in its page, so the fibers' frames would all
    // fall in the same L1 sets: each fiber starts at a different offset instead.
    static std::atomic<unsigned> count{0};
    stagger_ = (count.fetch_add(1) * 17 % 64) * 64 + 1024;
  }
  entry_ = entry;
  arg_ = arg;
#if OC_EMU_TSAN
  // One ThreadSanitizer context per fiber, kept while its runs end normally; a run cut short (its
  // block failed) left frames on the context's call stack, so that fiber gets a fresh one.
  if (tsan_fiber_ && !finished_) {
    __tsan_destroy_fiber(tsan_fiber_);
    tsan_fiber_ = nullptr;
  }
  if (!tsan_fiber_) tsan_fiber_ = __tsan_create_fiber(0);
#endif
  finished_ = false;
  // The initial frame, from the top: [return address = trampoline][rbp][rbx][r12][r13][r14][r15][mxcsr|fpcw].
  // After the 8 pops and `ret`, rsp = top, 16-byte aligned, so the trampoline's call keeps the ABI.
  uintptr_t top = (reinterpret_cast<uintptr_t>(stack_) + stack_bytes_ - stagger_) & ~uintptr_t(15);
  uint64_t* s = reinterpret_cast<uint64_t*>(top);
  *--s = reinterpret_cast<uint64_t>(&oc_emu_fiber_trampoline);
  *--s = 0;                                          // rbp
  *--s = 0;                                          // rbx
  *--s = reinterpret_cast<uint64_t>(this);           // r12: the argument
  *--s = reinterpret_cast<uint64_t>(&Fiber::start);  // r13: the function
  *--s = 0;                                          // r14
  *--s = 0;                                          // r15
  uint32_t mxcsr = 0;
  uint16_t fpcw = 0;
  asm volatile("stmxcsr %0" : "=m"(mxcsr));
  asm volatile("fnstcw %0" : "=m"(fpcw));
  *--s = static_cast<uint64_t>(mxcsr) | (static_cast<uint64_t>(fpcw) << 32);
  sp_ = s;
}

OC_EMU_NO_TSAN void Fiber::start(Fiber* self) {
#if OC_EMU_ASAN
  __sanitizer_finish_switch_fiber(nullptr, &self->scheduler_stack_bottom_, &self->scheduler_stack_size_);
#endif
  self->entry_(self->arg_);
  self->yield_to_scheduler(/*finished=*/true);
  std::abort();  // a finished fiber is never resumed
}

void Fiber::resume() {
#if OC_EMU_ASAN
  __sanitizer_start_switch_fiber(&asan_fake_stack_, stack_, stack_bytes_);
#endif
#if OC_EMU_TSAN
  // Flags 0: the switch orders the scheduler's writes before the fiber's reads, and back, as the
  // single OS thread that runs both does.
  tsan_scheduler_ = __tsan_get_current_fiber();
  __tsan_switch_to_fiber(tsan_fiber_, 0);
#endif
  oc_emu_switch(&scheduler_sp_, sp_);
#if OC_EMU_ASAN
  __sanitizer_finish_switch_fiber(asan_fake_stack_, nullptr, nullptr);
#endif
}

OC_EMU_NO_TSAN void Fiber::yield_to_scheduler(bool finished) {
  finished_ = finished;
#if OC_EMU_TSAN
  __tsan_switch_to_fiber(tsan_scheduler_, 0);
#endif
#if OC_EMU_ASAN
  void* fake = nullptr;
  __sanitizer_start_switch_fiber(finished ? nullptr : &fake, scheduler_stack_bottom_, scheduler_stack_size_);
  oc_emu_switch(&sp_, scheduler_sp_);
  __sanitizer_finish_switch_fiber(fake, &scheduler_stack_bottom_, &scheduler_stack_size_);
#else
  (void)finished;
  oc_emu_switch(&sp_, scheduler_sp_);
#endif
}

}  // namespace oc::emu
