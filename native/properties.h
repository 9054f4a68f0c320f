// Properties the addon sets on the objects it hands to JavaScript.
#pragma once

#include <napi.h>

#include <initializer_list>
#include <utility>

namespace rsh {

// Sets the properties in order. Even on a fresh object a set can throw (a setter up the prototype
// chain): then it returns false at once, with that exception pending and the rest left unset.
inline bool SetProperties(Napi::Object object, std::initializer_list<std::pair<const char*, Napi::Value>> properties) {
  for (const auto& [key, value] : properties) {
    if (object.Set(key, value).IsNothing()) return false;
  }
  return true;
}

}  // namespace rsh
