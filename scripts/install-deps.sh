#!/usr/bin/env bash
# Installs the Debian packages Crossnet needs to build and to run its virtual lab, when missing.
# Safe to run again: it installs nothing when everything is there.
set -euo pipefail

packages=(libssh-dev libcurl4-openssl-dev pkg-config docker.io openssh-server openssh-client iperf3 sockperf
          busybox-static iputils-ping iptables iproute2 procps libxml2-utils chromium binutils file
          prometheus)  # prometheus: for promtool (`promtool check metrics` in the report tests)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# Start time (clock ticks after boot, field 22 of /proc/PID/stat) of process $1; empty if gone.
start_ticks() { sed -E 's/^.*\) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20; }

# Debian starts services on install (docker, containerd, ssh); Crossnet wants none in the root
# namespace. policy-rc.d answering 101 forbids invoke-rc.d from starting them during the install.
# Should one start anyway, it is stopped below: only a daemon named by its service's pid file,
# running that service's executable, and started after this script began.
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  began=$(start_ticks $$)
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# crossnet install-deps: start no service while packages install\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if [ -d /run/systemd/system ]; then
    systemctl disable --now docker.socket docker.service containerd.service ssh.service 2>/dev/null || true
  fi
  for entry in /var/run/docker.pid:dockerd /run/docker.pid:dockerd /run/containerd/containerd.pid:containerd \
               /run/sshd.pid:sshd /var/run/sshd.pid:sshd; do
    file=${entry%%:*} program=${entry##*:}
    [ -f "$file" ] || continue
    pid=$(tr -dc '0-9' <"$file")
    [ -n "$pid" ] || continue
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
    started=$(start_ticks "$pid")
    if [ "${exe##*/}" = "$program" ] && [ -n "$started" ] && [ "$started" -ge "$began" ]; then
      echo "install-deps: stopping $program (pid $pid) started by the package install"
      kill "$pid"
    fi
  done
fi
# The probe image is also built for arm64 hosts, from Debian's arm64 packages (apt-get download).
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  echo "install-deps: enabling Debian's arm64 packages (dpkg --add-architecture arm64)"
  dpkg --add-architecture arm64
  apt-get update -qq
fi
# Debian starts services on install where systemd runs; Crossnet wants none in the root namespace.
if [ -d /run/systemd/system ] && systemctl is-active --quiet prometheus 2>/dev/null; then
  systemctl disable --now prometheus >/dev/null 2>&1 || true
fi
command -v promtool >/dev/null || { echo "install-deps: promtool missing after installing prometheus" >&2; exit 1; }
command -v swift >/dev/null || export PATH="$PATH:/opt/swift/usr/bin"
command -v swift >/dev/null || { echo "install-deps: Swift 6 is needed (expected at /opt/swift)" >&2; exit 1; }
echo "install-deps: ok ($(swift --version 2>&1 | head -1))"
