#!/usr/bin/env bash
# Installs the Debian packages Crossnet needs to build and to run its virtual lab, when missing.
# Safe to run again: it installs nothing when everything is there.
set -euo pipefail

packages=(libssh-dev libcurl4-openssl-dev pkg-config docker.io openssh-server openssh-client iperf3 sockperf
          busybox-static iptables iproute2 procps libxml2-utils chromium
          prometheus)  # prometheus: for promtool (`promtool check metrics` in the report tests)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian starts services on install where systemd runs; Crossnet wants none in the root namespace.
if [ -d /run/systemd/system ] && systemctl is-active --quiet prometheus 2>/dev/null; then
  systemctl disable --now prometheus >/dev/null 2>&1 || true
fi
command -v promtool >/dev/null || { echo "install-deps: promtool missing after installing prometheus" >&2; exit 1; }
command -v swift >/dev/null || export PATH="$PATH:/opt/swift/usr/bin"
command -v swift >/dev/null || { echo "install-deps: Swift 6 is needed (expected at /opt/swift)" >&2; exit 1; }
echo "install-deps: ok ($(swift --version 2>&1 | head -1))"
