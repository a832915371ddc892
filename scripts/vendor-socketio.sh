#!/usr/bin/env bash
# Vendors the Socket.IO browser client into static/vendor/ so the wizard page makes no request
# off the host. socket.io-client 4.x speaks protocol v5, which python-socketio 5.x serves.
set -euo pipefail
VERSION="${1:-4.8.1}"
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
tarball="$(npm pack --silent "socket.io-client@${VERSION}")"
tar xzf "$tarball"
install -m 0644 package/dist/socket.io.min.js "$repo/static/vendor/socket.io.min.js"
install -m 0644 package/LICENSE "$repo/static/vendor/socket.io.LICENSE"
echo "static/vendor/socket.io.min.js <- socket.io-client@${VERSION}"
