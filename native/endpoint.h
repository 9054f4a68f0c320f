// The stderr endpoint: a kernel channel whose write end becomes the child's fd 2 and whose
// read end the pump drains. A pipe by default; a socketpair when the addon is built with the
// ssh-socketpair-stderr feature (RSH_SSH_SOCKETPAIR_STDERR), falling back to a pipe when the
// socketpair cannot be made.
#pragma once

#include <string>

namespace rsh {

enum class Backend { kPipe, kSocketpair };

// Windows: the fds are node.exe's C runtime's (CreatePipe, then uv_open_osfhandle), both handles
// not inheritable; the read end blocks too, as an anonymous pipe's ends all do.
struct Endpoint {
  int parent_fd = -1;  // read end: non-blocking, close-on-exec
  int child_fd = -1;   // write end: blocking, close-on-exec (the spawn dup2s it to fd 2)
  Backend backend = Backend::kPipe;
  long kernel_buffer = 0;       // pipe capacity, or the socket's SO_RCVBUF, in bytes
  std::string fallback_reason;  // why a socketpair was wanted and a pipe was made
};

// Failures to inject instead of calling the system, for tests (0: call the system): errno values,
// or on Windows Win32 error codes (the pipe's only).
struct FaultInjection {
  int socketpair_errno = 0;
  int pipe_errno = 0;
};

struct EndpointError {
  int err = 0;  // errno of the pipe that failed (Windows: a Win32 error code)
  const char* syscall = "";
  std::string fallback_reason;  // set when a socketpair failed first
};

// Whether this build asks for a socketpair.
bool SocketpairFeature();

// Makes the endpoint; on failure fills `error` and returns false, leaving no fd open.
bool CreateEndpoint(const FaultInjection& faults, Endpoint* out, EndpointError* error);

// The remote shell's stdin or stdout: socketpair(AF_UNIX, SOCK_STREAM) as Node's stdio 'pipe'
// makes it, both ends close-on-exec, the parent's non-blocking. Returns 0 or the errno, leaving
// no fd open on failure. Not on Windows, where Node's own stdio pipes are used.
int CreateStdioPair(int* parent_fd, int* child_fd);

// Closes an fd the addon made (an endpoint's or a stdio pair's end) that nothing owns: a child's
// end after the spawn, both ends after a failed one. Returns 0 or the errno (Windows: a Win32
// error code or a libuv error, as errors.h takes them).
int CloseFd(int fd);

}  // namespace rsh
