// The command's process utilities (host/cli/): this process's own fds, parent and limits, none
// of which the transport itself uses. POSIX only: on Windows there are none.
#pragma once

#include <napi.h>

namespace rsh {

// Sets redirectToNull, setParentDeathSignal, openFileLimit and setOpenFileLimit on `exports`
// (nothing on Windows); false with an exception pending when a set threw.
bool ExportProcessUtilities(Napi::Env env, Napi::Object exports);

}  // namespace rsh
