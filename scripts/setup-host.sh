#!/usr/bin/env bash
# Installs the Debian packages that building, testing and the demo need, once per machine.
set -euo pipefail
pkgs=(docker.io docker-registry openssh-server debootstrap skopeo busybox-static iproute2 apache2-utils
      iptables tcpdump chromium zstd python3-venv git make curl ca-certificates postgresql)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
