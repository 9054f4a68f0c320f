// Errors that name the failing call and its errno the way Node does (code, errno, syscall).
#pragma once

#include <napi.h>

#include <string>

namespace rsh {

// "EMFILE", from an errno value.
std::string ErrnoName(int err);

// "EMFILE (too many open files)".
std::string DescribeErrno(int err);

// A JavaScript Error with `code`, `errno` and `syscall` set, for the caller to throw.
Napi::Error SystemError(Napi::Env env, const std::string& message, const char* syscall, int err);

}  // namespace rsh
