#include "endpoint.h"

#include <cerrno>
#include <cstdio>

#include "errors.h"

#ifdef _WIN32
// uv.h brings in winsock2.h and windows.h, in the order they must come.
#include <uv.h>
#else
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

namespace rsh {

namespace {

// The pipe buffer the pump would like: the child then rarely waits on a full pipe, and each
// wake-up brings a large batch. Linux caps it at /proc/sys/fs/pipe-max-size.
constexpr long kWantedPipeBuffer = 1L << 20;
constexpr int kWantedSocketBuffer = 1 << 20;

#ifndef _WIN32

// Where the system has them (Linux, the BSDs), pipe2() and SOCK_CLOEXEC make an fd close-on-exec
// as it is made; elsewhere (macOS), fcntl() sets it just after. A build with portable_posix=1
// takes the second way on Linux too, so that it is compiled and tested here.
#if !defined(RSH_PORTABLE_POSIX) && (defined(__linux__) || defined(__FreeBSD__) || defined(__NetBSD__) || \
                                     defined(__OpenBSD__) || defined(__DragonFly__))
#define RSH_HAVE_PIPE2 1
#endif
#if !defined(RSH_PORTABLE_POSIX) && defined(SOCK_CLOEXEC)
#define RSH_HAVE_SOCK_CLOEXEC 1
#endif

// Both ends close-on-exec, or both closed: 0 or errno. Unused where the system has pipe2 and
// SOCK_CLOEXEC.
[[maybe_unused]] int SetCloseOnExec(int fds[2]) {
  for (int i = 0; i < 2; i++) {
    int flags = fcntl(fds[i], F_GETFD);
    if (flags < 0 || fcntl(fds[i], F_SETFD, flags | FD_CLOEXEC) != 0) {
      int err = errno;
      close(fds[0]);
      close(fds[1]);
      return err;
    }
  }
  return 0;
}

// pipe() with both ends close-on-exec; 0 or errno.
int PipeCloexec(int fds[2]) {
#ifdef RSH_HAVE_PIPE2
  return pipe2(fds, O_CLOEXEC) == 0 ? 0 : errno;
#else
  return pipe(fds) == 0 ? SetCloseOnExec(fds) : errno;
#endif
}

// socketpair(AF_UNIX, SOCK_STREAM) with both ends close-on-exec; 0 or errno.
int SocketpairCloexec(int fds[2]) {
#ifdef RSH_HAVE_SOCK_CLOEXEC
  return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0 ? 0 : errno;
#else
  return socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0 ? SetCloseOnExec(fds) : errno;
#endif
}

// Unused where the pipe is not resized (portable_posix).
[[maybe_unused]] long PipeMaxSize() {
  long max = kWantedPipeBuffer;
  if (FILE* f = std::fopen("/proc/sys/fs/pipe-max-size", "r")) {
    long value = 0;
    if (std::fscanf(f, "%ld", &value) == 1 && value > 0) max = value;
    std::fclose(f);
  }
  return max;
}

bool SetNonBlocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  return flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

void CloseBoth(int fds[2]) {
  close(fds[0]);
  close(fds[1]);
}

// A close-on-exec pipe, the read end non-blocking, its buffer raised where the kernel allows.
int MakePipe(const FaultInjection& faults, Endpoint* out, const char** syscall) {
  int fds[2];
#ifdef RSH_HAVE_PIPE2
  *syscall = "pipe2";
#else
  *syscall = "pipe";
#endif
  if (faults.pipe_errno != 0) return faults.pipe_errno;
  if (int err = PipeCloexec(fds); err != 0) return err;
  *syscall = "fcntl";
  if (!SetNonBlocking(fds[0])) {
    int err = errno;
    CloseBoth(fds);
    return err;
  }
#if defined(F_SETPIPE_SZ) && !defined(RSH_PORTABLE_POSIX)
  long wanted = kWantedPipeBuffer < PipeMaxSize() ? kWantedPipeBuffer : PipeMaxSize();
  // A refusal (EPERM over the per-user limit, EBUSY) leaves the default size: not an error.
  fcntl(fds[0], F_SETPIPE_SZ, static_cast<int>(wanted));
#endif
#ifdef F_GETPIPE_SZ
  out->kernel_buffer = fcntl(fds[0], F_GETPIPE_SZ);
#else
  out->kernel_buffer = 0;  // not known: the system has no way to ask
#endif
  out->parent_fd = fds[0];
  out->child_fd = fds[1];
  out->backend = Backend::kPipe;
  return 0;
}

// socketpair(AF_UNIX, SOCK_STREAM) with close-on-exec; the parent only reads, the child only
// writes, so each end is shut down in the direction it does not use.
int MakeSocketpair(const FaultInjection& faults, Endpoint* out) {
  int fds[2];
  if (faults.socketpair_errno != 0) return faults.socketpair_errno;
  if (int err = SocketpairCloexec(fds); err != 0) return err;
  if (!SetNonBlocking(fds[0])) {
    int err = errno;
    CloseBoth(fds);
    return err;
  }
  shutdown(fds[0], SHUT_WR);
  shutdown(fds[1], SHUT_RD);
  // The queue of a stream socket is bounded by the sender's buffer; the kernel caps the request.
  setsockopt(fds[1], SOL_SOCKET, SO_SNDBUF, &kWantedSocketBuffer, sizeof kWantedSocketBuffer);
  setsockopt(fds[0], SOL_SOCKET, SO_RCVBUF, &kWantedSocketBuffer, sizeof kWantedSocketBuffer);
  int rcvbuf = 0;
  socklen_t len = sizeof rcvbuf;
  getsockopt(fds[0], SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len);
  out->parent_fd = fds[0];
  out->child_fd = fds[1];
  out->backend = Backend::kSocketpair;
  out->kernel_buffer = rcvbuf;
  return 0;
}

#endif  // !_WIN32

}  // namespace

bool SocketpairFeature() {
#if defined(RSH_SSH_SOCKETPAIR_STDERR) && !defined(_WIN32)
  return true;
#else
  return false;
#endif
}

#ifdef _WIN32

// Windows: an anonymous pipe whatever the build feature says; the pump is not used there (the
// read end is read by Node's fs, on its thread pool).
//
// The fds must be node.exe's: node.exe links its C runtime statically, so an fd of the runtime
// this addon links (a _pipe() here) means nothing to the libuv inside node.exe, and a spawn
// given one fails with EBADF. The pipe is therefore made of Win32 handles (CreatePipe) and each
// handle becomes an fd through node.exe's own libuv (uv_open_osfhandle, which calls node.exe's
// _open_osfhandle); closeFd closes through the same libuv. Errors are Win32 error codes
// (GetLastError()), which uv_translate_sys_error names.
//
// Neither handle is inheritable: libuv's spawn duplicates the child's end into an inheritable
// handle for that one child (its stdio as an integer fd), so no other child started meanwhile
// inherits a write end and holds the pipe open.

bool CreateEndpoint(const FaultInjection& faults, Endpoint* out, EndpointError* error) {
  error->syscall = "CreatePipe";
  if (faults.pipe_errno != 0) {
    error->err = faults.pipe_errno;
    return false;
  }
  HANDLE read_end = nullptr;
  HANDLE write_end = nullptr;
  // nSize is the pipe's quota: a writer blocks only once that much waits unread.
  if (!CreatePipe(&read_end, &write_end, nullptr, static_cast<DWORD>(kWantedPipeBuffer))) {
    error->err = static_cast<int>(GetLastError());
    return false;
  }
  DWORD in_buffer = 0;
  if (!GetNamedPipeInfo(read_end, nullptr, nullptr, &in_buffer, nullptr)) in_buffer = kWantedPipeBuffer;
  // The runtime then owns the handle. -1 means its fd table is full: the only way
  // _open_osfhandle fails for a valid handle, as libuv's own uv_fs_open assumes.
  error->syscall = "uv_open_osfhandle";
  int parent_fd = uv_open_osfhandle(read_end);
  if (parent_fd < 0) {
    CloseHandle(read_end);
    CloseHandle(write_end);
    error->err = ERROR_TOO_MANY_OPEN_FILES;
    return false;
  }
  int child_fd = uv_open_osfhandle(write_end);
  if (child_fd < 0) {
    CloseFd(parent_fd);  // and read_end with it
    CloseHandle(write_end);
    error->err = ERROR_TOO_MANY_OPEN_FILES;
    return false;
  }
  out->parent_fd = parent_fd;
  out->child_fd = child_fd;
  out->backend = Backend::kPipe;
  out->kernel_buffer = static_cast<long>(in_buffer);
  return true;
}

// Through node.exe's libuv, synchronously: _close() of its runtime, which closes the handle too.
// Returns 0 or a libuv error (UV_EBADF for an fd that is not open), which ErrnoName() names as
// it names a Win32 code. A synchronous call does not use the loop. libuv leaves fds 0 to 2 open,
// and reports success for a negative fd other than -1: a negative fd is refused here.
int CloseFd(int fd) {
  if (fd < 0) return ERROR_INVALID_HANDLE;
  uv_fs_t req;
  int result = uv_fs_close(uv_default_loop(), &req, fd, nullptr);
  uv_fs_req_cleanup(&req);
  return result;
}

#else

bool CreateEndpoint(const FaultInjection& faults, Endpoint* out, EndpointError* error) {
  if (SocketpairFeature()) {
    int err = MakeSocketpair(faults, out);
    if (err == 0) return true;
    // Whatever stopped the socketpair (no AF_UNIX, a sandbox, memory, fds), a pipe still
    // carries stderr; the reason stays visible in the stats.
    out->fallback_reason = "socketpair(AF_UNIX, SOCK_STREAM) failed: " + DescribeErrno(err);
  }
  const char* syscall = "";
  int err = MakePipe(faults, out, &syscall);
  if (err == 0) return true;
  error->err = err;
  error->syscall = syscall;
  error->fallback_reason = out->fallback_reason;
  return false;
}

int CreateStdioPair(int* parent_fd, int* child_fd) {
  int fds[2];
  if (int err = SocketpairCloexec(fds); err != 0) return err;
  if (!SetNonBlocking(fds[0])) {
    int err = errno;
    CloseBoth(fds);
    return err;
  }
  *parent_fd = fds[0];
  *child_fd = fds[1];
  return 0;
}

int CloseFd(int fd) { return close(fd) == 0 ? 0 : errno; }

#endif

}  // namespace rsh
