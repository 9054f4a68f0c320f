// Errors that name the failing call and its errno the way Node does (code, errno, syscall).
#pragma once

#include <napi.h>

#include <string>

namespace rsh {

// An error code `err` is an errno value on POSIX; on Windows, a Win32 error code (GetLastError())
// or a libuv error (negative), both named as libuv names them.

// "EMFILE", from an error code.
std::string ErrnoName(int err);

// "EMFILE (too many open files)".
std::string DescribeErrno(int err);

// A JavaScript Error with `code`, `errno` (libuv's code, negative, as Node's) and `syscall` set,
// for the caller to throw; Nothing when setting them threw, that exception then pending instead.
Napi::Maybe<Napi::Error> SystemError(Napi::Env env, const std::string& message, const char* syscall, int err);

// Throws SystemError(...), or leaves pending what building it threw.
void ThrowSystemError(Napi::Env env, const std::string& message, const char* syscall, int err);

}  // namespace rsh
