#!/usr/bin/env bash
# Installs the Debian packages that building, testing and the demo need, once per machine.
set -euo pipefail
# prometheus, prometheus-node-exporter and prometheus-alertmanager: the binaries every bundle carries.
pkgs=(docker.io docker-registry prometheus prometheus-node-exporter prometheus-alertmanager openssh-server
      debootstrap skopeo busybox-static iproute2 apache2-utils iptables tcpdump chromium zstd python3-venv git
      make curl ca-certificates postgresql)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# npm installs the tests' S3 server (Makefile); a Node.js that brings its own npm is kept as it is.
command -v npm >/dev/null || missing+=(nodejs npm)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# Debian starts the monitoring packages' own services where systemd runs: they would hold the ports
# an install of a bundle checks (9090, 9093, 9100). Only their binaries are wanted here.
if [ -d /run/systemd/system ]; then
  systemctl disable --now prometheus prometheus-node-exporter prometheus-alertmanager 2>/dev/null || true
fi
