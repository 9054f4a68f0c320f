#include "errors.h"

#include <uv.h>

#include "properties.h"

namespace rsh {

// libuv's error codes are negated errno values on POSIX. On Windows `err` is a Win32 error code
// (GetLastError()), which libuv translates, or already a libuv error (negative), which it keeps.
static int ToUvError(int err) {
#ifdef _WIN32
  return uv_translate_sys_error(err);
#else
  return -err;
#endif
}

std::string ErrnoName(int err) { return uv_err_name(ToUvError(err)); }

std::string DescribeErrno(int err) { return ErrnoName(err) + " (" + uv_strerror(ToUvError(err)) + ")"; }

Napi::Maybe<Napi::Error> SystemError(Napi::Env env, const std::string& message, const char* syscall, int err) {
  Napi::Error error = Napi::Error::New(env, message + ": " + DescribeErrno(err));
  if (!SetProperties(error.Value(), {{"code", Napi::String::New(env, ErrnoName(err))},
                                     {"errno", Napi::Number::New(env, ToUvError(err))},
                                     {"syscall", Napi::String::New(env, syscall)}})) {
    return Napi::Nothing<Napi::Error>();
  }
  return Napi::Just(error);
}

void ThrowSystemError(Napi::Env env, const std::string& message, const char* syscall, int err) {
  Napi::Error error;
  // Nothing: throwing would abort the process (napi_throw refuses while an exception is pending).
  if (SystemError(env, message, syscall, err).UnwrapTo(&error)) error.ThrowAsJavaScriptException();
}

}  // namespace rsh
