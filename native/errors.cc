#include "errors.h"

#include <uv.h>

namespace rsh {

// libuv's error names are negated errno values on POSIX and translated ones on Windows.
static int ToUvError(int err) {
#ifdef _WIN32
  return uv_translate_sys_error(err);
#else
  return -err;
#endif
}

std::string ErrnoName(int err) { return uv_err_name(ToUvError(err)); }

std::string DescribeErrno(int err) { return ErrnoName(err) + " (" + uv_strerror(ToUvError(err)) + ")"; }

Napi::Error SystemError(Napi::Env env, const std::string& message, const char* syscall, int err) {
  Napi::Error error = Napi::Error::New(env, message + ": " + DescribeErrno(err));
  error.Set("code", Napi::String::New(env, ErrnoName(err)));
  error.Set("errno", Napi::Number::New(env, -err));
  error.Set("syscall", Napi::String::New(env, syscall));
  return error;
}

}  // namespace rsh
