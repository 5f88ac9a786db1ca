#!/bin/sh
# Vendors the Node build of the `parse` npm package (the Parse JS SDK) that
# cloud code runs inside goja. The files are committed unmodified, with the
# package's LICENSE and NOTICE; VERSION records what was fetched.
#
#   hooks/parsesdk/update.sh 8.6.2
#
# Needs npm (it only downloads the package tarball; nothing is installed).
set -eu
version="${1:?usage: update.sh VERSION (e.g. 8.6.2)}"
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "parse@$version" >/dev/null)
tar -xzf "$tmp"/parse-*.tgz -C "$tmp"
rm -rf "$here/lib"
mkdir -p "$here/lib"
cp -R "$tmp/package/lib/node" "$here/lib/node"
cp "$tmp/package/LICENSE" "$tmp/package/NOTICE" "$here/"
printf '%s\n' "$version" >"$here/VERSION"
echo "vendored parse@$version into $here"
