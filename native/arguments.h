// The one check of the addon's plain functions' arguments.
#pragma once

#include <napi.h>

namespace rsh {

// Whether the call's first argument is a number; if not, a TypeError that shows the call's
// `usage` ("closeFd(fd)") is pending, and the caller returns at once.
inline bool FirstArgumentIsNumber(const Napi::CallbackInfo& info, const char* usage) {
  if (info.Length() >= 1 && info[0].IsNumber()) return true;
  Napi::TypeError::New(info.Env(), usage).ThrowAsJavaScriptException();
  return false;
}

}  // namespace rsh
