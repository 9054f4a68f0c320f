// The rsh-transport native addon: the stderr endpoint and the pump (the command's process
// utilities are in process.cc). Its JavaScript surface is documented in native/README.md and
// typed in host/native/binding.ts.
//
// Built with C++ exceptions off (NAPI_DISABLE_CPP_EXCEPTIONS): every failure becomes a pending
// JavaScript exception, so no C++ exception crosses into Node. node-addon-api's Maybe API is on
// (NODE_ADDON_API_ENABLE_MAYBE): a call that can run JavaScript (a getter, a setter up the
// prototype chain, a callback) returns a Maybe, so where an exception can arise is in the types
// and a value that may not exist cannot be used unchecked, instead of resting on an
// IsExceptionPending() someone remembered. On Nothing the exception is pending: return at once.

#include <napi.h>

#ifndef _WIN32
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>
#endif

#include <cerrno>

#include "arguments.h"
#include "endpoint.h"
#include "errors.h"
#include "process.h"
#include "properties.h"
#include "pump.h"

namespace rsh {
namespace {

// options[key] when it is a number, else 0; Nothing when its getter threw.
Napi::Maybe<int> OptionalErrno(Napi::Object options, const char* key) {
  Napi::Value value;
  if (!options.Get(key).UnwrapTo(&value)) return Napi::Nothing<int>();
  return Napi::Just(value.IsNumber() ? value.As<Napi::Number>().Int32Value() : 0);
}

// createEndpoint({ injectFailure?: { socketpair?: errno, pipe?: errno } })
Napi::Value CreateEndpointJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FaultInjection faults;
  if (info.Length() > 0 && info[0].IsObject()) {
    Napi::Value inject;
    if (!info[0].As<Napi::Object>().Get("injectFailure").UnwrapTo(&inject)) return env.Undefined();
    if (inject.IsObject()) {
      if (!OptionalErrno(inject.As<Napi::Object>(), "socketpair").UnwrapTo(&faults.socketpair_errno) ||
          !OptionalErrno(inject.As<Napi::Object>(), "pipe").UnwrapTo(&faults.pipe_errno)) {
        return env.Undefined();
      }
    }
  }
  Endpoint endpoint;
  EndpointError error;
  if (!CreateEndpoint(faults, &endpoint, &error)) {
    Napi::Error e;
    if (!SystemError(env, std::string("cannot create the stderr endpoint: ") + error.syscall + " failed", error.syscall,
                     error.err)
             .UnwrapTo(&e)) {
      return env.Undefined();
    }
    if (!error.fallback_reason.empty() &&
        e.Set("fallbackReason", Napi::String::New(env, error.fallback_reason)).IsNothing()) {
      return env.Undefined();
    }
    e.ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object result = Napi::Object::New(env);
  if (!SetProperties(
          result,
          {{"parentFd", Napi::Number::New(env, endpoint.parent_fd)},
           {"childFd", Napi::Number::New(env, endpoint.child_fd)},
           {"backend", Napi::String::New(env, endpoint.backend == Backend::kSocketpair ? "socketpair" : "pipe")},
           {"kernelBufferSize", Napi::Number::New(env, static_cast<double>(endpoint.kernel_buffer))},
           {"fallbackReason", endpoint.fallback_reason.empty()
                                  ? env.Null()
                                  : Napi::Value(Napi::String::New(env, endpoint.fallback_reason))}})) {
    // The caller never learns the fds: they are closed here, not leaked.
    CloseFd(endpoint.parent_fd);
    CloseFd(endpoint.child_fd);
    return env.Undefined();
  }
  return result;
}

#ifndef _WIN32
// createStdioPair(): { parentFd, childFd }, a socketpair for the child's stdin or stdout.
Napi::Value CreateStdioPairJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int parent_fd = -1;
  int child_fd = -1;
  if (int err = CreateStdioPair(&parent_fd, &child_fd); err != 0) {
    ThrowSystemError(env, "cannot create the remote shell's stdio: socketpair failed", "socketpair", err);
    return env.Undefined();
  }
  Napi::Object result = Napi::Object::New(env);
  if (!SetProperties(
          result, {{"parentFd", Napi::Number::New(env, parent_fd)}, {"childFd", Napi::Number::New(env, child_fd)}})) {
    CloseFd(parent_fd);
    CloseFd(child_fd);
    return env.Undefined();
  }
  return result;
}
#endif

// closeFd(fd): an fd the addon made that nothing owns: a child's end (endpoint or stdio pair)
// after the spawn, and both ends after a failed spawn.
Napi::Value CloseFdJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!FirstArgumentIsNumber(info, "closeFd(fd)")) return env.Undefined();
  int err = CloseFd(info[0].As<Napi::Number>().Int32Value());
  if (err != 0) ThrowSystemError(env, "cannot close the stderr fd", "close", err);
  return env.Undefined();
}

#ifndef _WIN32
// pendingBytes(fd): bytes the kernel holds for the next read of fd (FIONREAD), so that the
// transport can tell a consumer who has read everything from one who has not yet.
Napi::Value PendingBytesJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!FirstArgumentIsNumber(info, "pendingBytes(fd)")) return env.Undefined();
  int pending = 0;
  if (ioctl(info[0].As<Napi::Number>().Int32Value(), FIONREAD, &pending) != 0) {
    ThrowSystemError(env, "cannot tell how many bytes wait on the fd", "ioctl", errno);
    return env.Undefined();
  }
  return Napi::Number::New(env, pending);
}

#endif

#ifdef _WIN32
constexpr bool kHasPump = false;
#else
constexpr bool kHasPump = true;
#endif

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  Napi::Object features = Napi::Object::New(env);
  if (!SetProperties(features, {{"socketpairStderr", Napi::Boolean::New(env, SocketpairFeature())},
                                {"pump", Napi::Boolean::New(env, kHasPump)}})) {
    return exports;
  }
  // The exports are returned either way: an exception a set left pending fails the require().
  if (!ExportProcessUtilities(env, exports)) return exports;
  SetProperties(exports, {
#ifndef _WIN32
                             {"Pump", Pump::Define(env)},
                             {"createStdioPair", Napi::Function::New<CreateStdioPairJs>(env, "createStdioPair")},
                             {"pendingBytes", Napi::Function::New<PendingBytesJs>(env, "pendingBytes")},
#endif
                             {"features", features},
                             {"createEndpoint", Napi::Function::New<CreateEndpointJs>(env, "createEndpoint")},
                             {"closeFd", Napi::Function::New<CloseFdJs>(env, "closeFd")},
                         });
  return exports;
}

}  // namespace
}  // namespace rsh

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return rsh::Init(env, exports); }

NODE_API_MODULE(rsh_transport, InitAddon)
