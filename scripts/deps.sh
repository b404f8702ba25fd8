#!/usr/bin/env bash
# Install the Debian 12 packages Suyuan builds and tests with, printing what is
# installed. Only packages that are missing are installed; nothing is downloaded
# from anywhere else. Needs root (or sudo) when something is missing.
set -euo pipefail
PKGS=(build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev curl ca-certificates
      libsodium-dev libssl-dev libsqlite3-dev sqlite3 libuv1-dev libcurl4-openssl-dev
      libmicrohttpd-dev libcjson-dev libqrencode-dev libxml2-dev etcd-server etcd-client jq python3
      libcairo2-dev fonts-wqy-microhei fonts-dejavu-core zbar-tools chromium openssl)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#PKGS[@]} Debian packages already installed"
  exit 0
fi
echo "deps: installing missing Debian packages: ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "deps: installed ${missing[*]}"
