// MinGW builds for Windows (scripts/build-win32.mjs) only: the addon imports Node-API and libuv
// from "node.exe", which is the process's own executable only while it is named node.exe. The
// imports are delay-loaded, and this hook answers the load of "node.exe" with the executable
// that runs, whatever its name, as node-gyp's win_delay_load_hook does for MSVC builds (which
// have that hook of their own and do not compile this file's body).
#if defined(_WIN32) && defined(__MINGW32__)

#include <windows.h>
// windows.h first: delayimp.h uses its types.
#include <delayimp.h>

namespace {

FARPROC WINAPI LoadHostExecutable(unsigned event, PDelayLoadInfo info) {
  if (event == dliNotePreLoadLibrary && lstrcmpiA(info->szDll, "node.exe") == 0) {
    return reinterpret_cast<FARPROC>(GetModuleHandleW(nullptr));
  }
  return nullptr;
}

// MinGW's delay-load helper defines the hook's variable itself, so it is set, not defined: by a
// static initializer, which runs when the DLL is loaded, before its first call into node.exe.
const bool kHookSet = (__pfnDliNotifyHook2 = LoadHostExecutable, true);

}  // namespace

#endif
