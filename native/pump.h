// The pump: drains the parent's end of the stderr endpoint straight into a staging area inside
// a WebAssembly.Memory, with no JavaScript Buffer per chunk, and hands each batch to JS.
//
//   const pump = new native.Pump({ fd, memory: memory.buffer, offset, size,
//                                  onBatch: (n) => capture.commitStaged(n),   // bytes now in staging
//                                  onEnd: (reason, errno) => ... });          // 'eof' | 'deadline' | 'error'
//   pump.start();
//   ...child exits...
//   pump.finish(100);   // socket: shutdown(SHUT_RD); pipe: drain until EOF or 100 ms
//
// libuv watches the fd (uv_poll_t on the Node event loop); on each wake-up the pump reads what
// the kernel holds into the staging area. It calls onBatch once the area holds a large batch,
// or 1 ms after the first byte of a small one: a child writing in small chunks (ssh, head)
// then costs one JavaScript call per batch, not per write, and a line still shows within a
// millisecond. onBatch must consume the staging area before it returns. The pump never waits
// on anything else: the core's ring bounds the memory, whatever the child writes.
#pragma once

#ifndef _WIN32

#include <napi.h>
#include <uv.h>

#include <cstdint>

namespace rsh {

class Pump : public Napi::ObjectWrap<Pump> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit Pump(const Napi::CallbackInfo& info);
  ~Pump() override;

 private:
  enum class State { kIdle, kRunning, kFinishing, kEnded };

  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value Finish(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);

  static void OnReadable(uv_poll_t* handle, int status, int events);
  static void OnDeadline(uv_timer_t* handle);
  static void OnCoalesced(uv_timer_t* handle);
  static void OnHandleClosed(uv_handle_t* handle);

  // Reads until EAGAIN, EOF, an error, or `budget` bytes; delivers full batches on the way.
  void Drain(uint64_t budget);
  void Deliver();
  void End(const char* reason, int err, bool notify);

  int fd_ = -1;
  // Set once the constructor has succeeded: from then on the pump closes fd_ (End, or the
  // destructor for a pump never started).
  bool owns_fd_ = false;
  bool socket_ = false;
  uint8_t* staging_;
  size_t staging_size_;
  size_t filled_ = 0;
  State state_ = State::kIdle;
  int open_handles_ = 0;

  uv_poll_t poll_;
  uv_timer_t timer_;     // the drain deadline
  uv_timer_t coalesce_;  // delivers a small batch that did not grow
  bool coalescing_ = false;
  Napi::Reference<Napi::ArrayBuffer> memory_;
  Napi::FunctionReference on_batch_;
  Napi::FunctionReference on_end_;
  Napi::AsyncContext* async_context_ = nullptr;

  uint64_t bytes_ = 0;
  uint64_t reads_ = 0;
  uint64_t batches_ = 0;
  uint64_t wakeups_ = 0;
};

}  // namespace rsh

#endif  // !_WIN32
