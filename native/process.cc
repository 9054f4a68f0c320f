// The command's process utilities (see process.h): plain functions of this process, POSIX only.

#include "process.h"

#ifndef _WIN32
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cmath>

#include "arguments.h"
#include "errors.h"
#include "properties.h"
#endif

namespace rsh {

#ifndef _WIN32
namespace {

// redirectToNull(fd): points fd at /dev/null, so that this process lets go of what fd was (the
// command hands its stdin and stdout to the remote shell, then drops its own copies) while the
// number stays taken.
Napi::Value RedirectToNullJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!FirstArgumentIsNumber(info, "redirectToNull(fd)")) return env.Undefined();
  int fd = info[0].As<Napi::Number>().Int32Value();
  int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd < 0) {
    ThrowSystemError(env, "cannot open /dev/null", "open", errno);
    return env.Undefined();
  }
  int rc;
  do {
    rc = dup2(null_fd, fd);
  } while (rc < 0 && errno == EINTR);
  int err = errno;
  close(null_fd);
  if (rc < 0) ThrowSystemError(env, "cannot point the fd at /dev/null", "dup2", err);
  return env.Undefined();
}

// setParentDeathSignal(signal): asks the kernel to send this process `signal` when its parent
// exits (Linux: prctl(PR_SET_PDEATHSIG)); returns whether it could. The command runs under a
// launcher shell: if that shell is killed outright, the command must not go on without it.
Napi::Value SetParentDeathSignalJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!FirstArgumentIsNumber(info, "setParentDeathSignal(signal)")) return env.Undefined();
#ifdef __linux__
  int signal = info[0].As<Napi::Number>().Int32Value();
  return Napi::Boolean::New(env, prctl(PR_SET_PDEATHSIG, signal) == 0);
#else
  return Napi::Boolean::New(env, false);
#endif
}

// RLIMIT_NOFILE, or false with a JavaScript exception pending.
bool ReadOpenFileLimit(Napi::Env env, struct rlimit* limit) {
  if (getrlimit(RLIMIT_NOFILE, limit) == 0) return true;
  ThrowSystemError(env, "cannot read the open file limit", "getrlimit", errno);
  return false;
}

// openFileLimit(): { soft, hard } of RLIMIT_NOFILE (Infinity for RLIM_INFINITY).
Napi::Value OpenFileLimitJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct rlimit limit;
  if (!ReadOpenFileLimit(env, &limit)) return env.Undefined();
  auto number = [&](rlim_t value) {
    return Napi::Number::New(env, value == RLIM_INFINITY ? INFINITY : static_cast<double>(value));
  };
  Napi::Object result = Napi::Object::New(env);
  if (!SetProperties(result, {{"soft", number(limit.rlim_cur)}, {"hard", number(limit.rlim_max)}})) {
    return env.Undefined();
  }
  return result;
}

// setOpenFileLimit(soft): sets the soft RLIMIT_NOFILE (at most the hard one).
Napi::Value SetOpenFileLimitJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!FirstArgumentIsNumber(info, "setOpenFileLimit(soft)")) return env.Undefined();
  struct rlimit limit;
  if (!ReadOpenFileLimit(env, &limit)) return env.Undefined();
  double wanted = info[0].As<Napi::Number>().DoubleValue();
  limit.rlim_cur = wanted >= static_cast<double>(limit.rlim_max) ? limit.rlim_max : static_cast<rlim_t>(wanted);
#ifdef __APPLE__
  // macOS refuses a soft limit above OPEN_MAX (EINVAL), whatever the hard limit says.
  if (limit.rlim_cur > OPEN_MAX) limit.rlim_cur = OPEN_MAX;
#endif
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    ThrowSystemError(env, "cannot set the open file limit", "setrlimit", errno);
  }
  return env.Undefined();
}
}  // namespace

bool ExportProcessUtilities(Napi::Env env, Napi::Object exports) {
  return SetProperties(
      exports, {
                   {"redirectToNull", Napi::Function::New<RedirectToNullJs>(env, "redirectToNull")},
                   {"setParentDeathSignal", Napi::Function::New<SetParentDeathSignalJs>(env, "setParentDeathSignal")},
                   {"openFileLimit", Napi::Function::New<OpenFileLimitJs>(env, "openFileLimit")},
                   {"setOpenFileLimit", Napi::Function::New<SetOpenFileLimitJs>(env, "setOpenFileLimit")},
               });
}
#else
bool ExportProcessUtilities(Napi::Env, Napi::Object) { return true; }
#endif

}  // namespace rsh
