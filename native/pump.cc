#include "pump.h"

#ifndef _WIN32

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "arguments.h"
#include "errors.h"
#include "properties.h"

namespace rsh {

namespace {

// A wake-up reads at most this many staging areas before yielding to the event loop; the
// poll is level-triggered, so whatever is left wakes it again at once.
constexpr uint64_t kBatchesPerWakeup = 16;

// A batch this large goes to JavaScript at once; a smaller one waits up to kCoalesceMs for more.
constexpr size_t kDeliverAt = 64 * 1024;
constexpr uint64_t kCoalesceMs = 1;

// After the drain deadline, a last pass takes what is already queued, but no more than this
// many staging areas: a grandchild that never stops writing must not hold the close back.
constexpr uint64_t kFinalPassBatches = 8;

}  // namespace

Napi::Function Pump::Define(Napi::Env env) {
  return DefineClass(env, "Pump",
                     {
                         InstanceMethod<&Pump::Start>("start"),
                         InstanceMethod<&Pump::Finish>("finish"),
                         InstanceMethod<&Pump::Close>("close"),
                         InstanceAccessor<&Pump::Stats>("stats"),
                     });
}

// new Pump({ fd, memory, offset, size, onBatch, onEnd })
Pump::Pump(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Pump>(info) {
  Napi::Env env = info.Env();
  const char* usage =
      "Pump({ fd, memory, offset, size, onBatch, onEnd }): fd, offset and size numbers, memory an ArrayBuffer, onBatch "
      "and onEnd functions";
  if (info.Length() < 1 || !info[0].IsObject()) {
    Napi::TypeError::New(env, usage).ThrowAsJavaScriptException();
    return;
  }
  Napi::Object options = info[0].As<Napi::Object>();
  Napi::Value fd, memory, offset_value, size_value, on_batch, on_end;
  if (!options.Get("fd").UnwrapTo(&fd) || !options.Get("memory").UnwrapTo(&memory) ||
      !options.Get("offset").UnwrapTo(&offset_value) || !options.Get("size").UnwrapTo(&size_value) ||
      !options.Get("onBatch").UnwrapTo(&on_batch) || !options.Get("onEnd").UnwrapTo(&on_end)) {
    return;
  }
  if (!fd.IsNumber() || !memory.IsArrayBuffer() || !offset_value.IsNumber() || !size_value.IsNumber() ||
      !on_batch.IsFunction() || !on_end.IsFunction()) {
    Napi::TypeError::New(env, usage).ThrowAsJavaScriptException();
    return;
  }
  fd_ = fd.As<Napi::Number>().Int32Value();
  Napi::ArrayBuffer buffer = memory.As<Napi::ArrayBuffer>();
  int64_t offset = offset_value.As<Napi::Number>().Int64Value();
  int64_t size = size_value.As<Napi::Number>().Int64Value();
  if (fd_ < 0 || offset < 0 || size <= 0 || offset + size > static_cast<int64_t>(buffer.ByteLength())) {
    Napi::RangeError::New(env, "Pump: the staging area lies outside the memory, or the fd is invalid")
        .ThrowAsJavaScriptException();
    return;
  }
  // Whether the fd is a socket decides how finish() ends the drain (shutdown, or EOF and the
  // deadline): asked of the fd itself rather than told.
  struct stat st;
  if (fstat(fd_, &st) != 0) {
    ThrowSystemError(env, "Pump: cannot inspect the stderr fd", "fstat", errno);
    return;
  }
  socket_ = S_ISSOCK(st.st_mode);
  // The core never grows its memory after init, so this address stays valid; the reference
  // keeps the memory alive as long as the pump.
  staging_ = static_cast<uint8_t*>(buffer.Data()) + offset;
  staging_size_ = static_cast<size_t>(size);
  memory_ = Napi::Persistent(buffer);
  on_batch_ = Napi::Persistent(on_batch.As<Napi::Function>());
  on_end_ = Napi::Persistent(on_end.As<Napi::Function>());
  async_context_ = new Napi::AsyncContext(env, "RshTransportStderrPump");
  owns_fd_ = true;
}

Pump::~Pump() {
  // A pump collected without start() or close() would otherwise keep its fd open for the life
  // of the process. A started pump holds a reference to itself until End has closed the fd.
  if (owns_fd_ && state_ == State::kIdle) close(fd_);
  delete async_context_;
}

Napi::Value Pump::Start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (state_ != State::kIdle) {
    Napi::Error::New(env, "Pump: already started").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  int rc = uv_poll_init(loop, &poll_, fd_);
  if (rc != 0) {
    ThrowSystemError(env, "Pump: cannot watch the stderr fd", "uv_poll_init", -rc);
    return env.Undefined();
  }
  uv_timer_init(loop, &timer_);
  uv_timer_init(loop, &coalesce_);
  poll_.data = this;
  timer_.data = this;
  coalesce_.data = this;
  open_handles_ = 3;
  // Held until its three handles are closed, so that the object outlives libuv's use of it.
  Ref();
  state_ = State::kRunning;
  uv_poll_start(&poll_, UV_READABLE, &Pump::OnReadable);
  return env.Undefined();
}

// finish(drainTimeoutMs): the child has exited.
Napi::Value Pump::Finish(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!FirstArgumentIsNumber(info, "finish(drainTimeoutMs)")) return env.Undefined();
  if (state_ != State::kRunning) return env.Undefined();
  int64_t deadline = info[0].As<Napi::Number>().Int64Value();
  if (deadline < 0) deadline = 0;
  state_ = State::kFinishing;
  if (socket_) {
    // Wakes the reader with EOF once the queued bytes are read, even while a grandchild
    // still holds the child's end; its later writes fail instead of piling up.
    shutdown(fd_, SHUT_RD);
  }
  // With a pipe the deadline ends the wait for a writer that outlives the child; with a socket
  // it only guards against a shutdown that did not take.
  uv_timer_start(&timer_, &Pump::OnDeadline, static_cast<uint64_t>(deadline), 0);
  return env.Undefined();
}

// close(): stops at once, without a last read and without calling onEnd.
Napi::Value Pump::Close(const Napi::CallbackInfo& info) {
  End("closed", 0, false);
  return info.Env().Undefined();
}

Napi::Value Pump::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object stats = Napi::Object::New(env);
  if (!SetProperties(stats, {{"bytes", Napi::Number::New(env, static_cast<double>(bytes_))},
                             {"reads", Napi::Number::New(env, static_cast<double>(reads_))},
                             {"batches", Napi::Number::New(env, static_cast<double>(batches_))},
                             {"wakeups", Napi::Number::New(env, static_cast<double>(wakeups_))},
                             {"ended", Napi::Boolean::New(env, state_ == State::kEnded)}})) {
    return env.Undefined();
  }
  return stats;
}

void Pump::OnReadable(uv_poll_t* handle, int status, int /*events*/) {
  Pump* self = static_cast<Pump*>(handle->data);
  self->wakeups_++;
  if (status < 0) {
    self->Deliver();
    self->End("error", -status, true);
    return;
  }
  self->Drain(kBatchesPerWakeup * self->staging_size_);
}

void Pump::OnDeadline(uv_timer_t* handle) {
  Pump* self = static_cast<Pump*>(handle->data);
  self->Drain(kFinalPassBatches * self->staging_size_);
  if (self->state_ != State::kEnded) self->End("deadline", 0, true);
}

void Pump::OnCoalesced(uv_timer_t* handle) {
  Pump* self = static_cast<Pump*>(handle->data);
  self->coalescing_ = false;
  self->Deliver();
}

void Pump::Drain(uint64_t budget) {
  uint64_t taken = 0;
  while (state_ == State::kRunning || state_ == State::kFinishing) {
    size_t wanted = staging_size_ - filled_;
    ssize_t n = read(fd_, staging_ + filled_, wanted);
    if (n > 0) {
      reads_++;
      filled_ += static_cast<size_t>(n);
      taken += static_cast<uint64_t>(n);
      if (filled_ == staging_size_) {
        Deliver();
        if (taken >= budget) return;
        continue;
      }
      // A short read emptied the kernel buffer: the next write wakes the poll again, so no
      // read is spent on learning EAGAIN.
      if (static_cast<size_t>(n) < wanted) break;
      continue;
    }
    if (n == 0) {
      Deliver();
      End("eof", 0, true);
      return;
    }
    if (errno == EINTR) continue;
    int err = errno;
    if (err == EAGAIN || err == EWOULDBLOCK) break;
    Deliver();
    End("error", err, true);
    return;
  }
  if (state_ != State::kRunning && state_ != State::kFinishing) return;
  if (filled_ >= kDeliverAt || state_ == State::kFinishing) {
    Deliver();
  } else if (filled_ > 0 && !coalescing_) {
    coalescing_ = true;
    uv_timer_start(&coalesce_, &Pump::OnCoalesced, kCoalesceMs, 0);
  }
}

void Pump::Deliver() {
  if (coalescing_) {
    coalescing_ = false;
    uv_timer_stop(&coalesce_);
  }
  if (filled_ == 0 || state_ == State::kEnded) return;
  size_t n = filled_;
  filled_ = 0;
  bytes_ += n;
  batches_++;
  Napi::Env env = on_batch_.Env();
  Napi::HandleScope scope(env);
  if (on_batch_.MakeCallback(Value(), {Napi::Number::New(env, static_cast<double>(n))}, *async_context_).IsNothing()) {
    // onBatch threw, and nobody above this libuv callback can catch it: report it as Node
    // reports any error thrown by a callback, and stop reading.
    Napi::Error error = env.GetAndClearPendingException();
    End("error", 0, false);
    napi_fatal_exception(env, error.Value());
  }
}

void Pump::End(const char* reason, int err, bool notify) {
  if (state_ == State::kEnded) return;
  bool started = state_ != State::kIdle;
  state_ = State::kEnded;
  if (started) {
    uv_poll_stop(&poll_);
    uv_timer_stop(&timer_);
    uv_timer_stop(&coalesce_);
  }
  // The fd is closed only once libuv no longer watches it.
  close(fd_);
  fd_ = -1;
  if (started) {
    uv_close(reinterpret_cast<uv_handle_t*>(&poll_), &Pump::OnHandleClosed);
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_), &Pump::OnHandleClosed);
    uv_close(reinterpret_cast<uv_handle_t*>(&coalesce_), &Pump::OnHandleClosed);
  }
  if (notify) {
    Napi::Env env = on_end_.Env();
    Napi::HandleScope scope(env);
    Napi::Value errName = err != 0 ? Napi::Value(Napi::String::New(env, ErrnoName(err))) : env.Null();
    if (on_end_.MakeCallback(Value(), {Napi::String::New(env, reason), errName}, *async_context_).IsNothing()) {
      napi_fatal_exception(env, env.GetAndClearPendingException().Value());
    }
  }
  // Nothing of JavaScript is needed any more. These references are roots for the collector, and
  // the callbacks reach whatever holds this pump (the channel, its capture): kept, they would
  // keep all of it, and the pump, alive for the life of the process.
  on_batch_.Reset();
  on_end_.Reset();
  memory_.Reset();
}

void Pump::OnHandleClosed(uv_handle_t* handle) {
  Pump* self = static_cast<Pump*>(handle->data);
  if (--self->open_handles_ == 0) self->Unref();
}

}  // namespace rsh

#endif  // !_WIN32
