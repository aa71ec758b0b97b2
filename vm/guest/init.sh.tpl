#!/bin/busybox sh
# ipvs-harness guest init. A template: vm/initramfs.ts fills the @@NAME@@ placeholders.
# busybox's static ash, not dash: it starts in a few ms under TCG rather than ~30-100 ms, and runs its
# NOFORK applets (mkdir, ln, echo, ...) without an exec. Every command here is on the boot's path.
# Lines starting with "ipvs-harness: " are read by the host (vm/console-watcher.ts): keep their shape.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root
stage() { read -r up _ < /proc/uptime; echo "ipvs-harness: $1 uptime=$up"; }

mount -t proc proc /proc
stage init-start
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm
# The rest with one process (each exec is ~5 ms under TCG): /etc/fstab (vm/initramfs-layout.ts) lists
# sysfs, devpts, /run, /tmp, /dev/shm, tracefs and debugfs, in that order.
mount -a
ln -sf /proc/self/fd /dev/fd
read -r cmdline < /proc/cmdline

# Boot modules: only what the network needs, by one modprobe that follows the shipped modules.dep
# (none on kernels with virtio built in). Everything else (ip_vs, schedulers, veth, ...) loads with
# `modprobe` on demand; `ipvsharness.modules=a,b` on the kernel command line preloads more.
boot_modules="@@BOOT_MODULES@@"
if [ -n "$boot_modules" ]; then
  modprobe -a $boot_modules || echo "ipvs-harness: modprobe $boot_modules failed"
fi
for arg in $cmdline; do
  case "$arg" in
    ipvsharness.modules=*) for m in $(echo "${arg#*=}" | tr ',' ' '); do modprobe "$m" || echo "ipvs-harness: modprobe $m failed"; done ;;
  esac
done
stage modules-loaded

hostname guest
# Management namespace: eth0 and the SSH server live here so SSH traffic never crosses the IPVS hooks
# of the root namespace, where scenarios run (`nsenter --net=/proc/1/ns/net`). Done with busybox's
# static applets: each exec of the dynamically linked iproute2 costs ~60 ms under TCG against ~5 ms
# for busybox, and every process spawned here is on the boot's critical path (docs/vm.md,
# "Boot and console" and "Timings").
busybox ip link set lo up
mkdir -p /run/netns && : > /run/netns/mgmt
busybox mkfifo /run/mgmt.go
case " $cmdline " in
  *" ipvsharness.nossh=1 "*) ssh=0 ;;
  *) ssh=1 ;;
esac
# One shell makes the management namespace (unshare binds it to /run/netns/mgmt and execs the shell
# in it), prints its pid and waits on a fifo while init moves eth0 to it. The command substitution
# returns once the shell points its stdout at the console: no polling. The shell then brings the
# network up, starts the SSH server (-e passes PATH on to sessions; -s: keys only; -E: log to the
# console) and says "ready" once port 22 listens (0016 = 22, state 0A = LISTEN; /proc/net/tcp is
# this namespace's, since the shell is in it).
mgmt=$(busybox unshare --net=/run/netns/mgmt busybox sh -c '
  echo $$; exec >/dev/console 2>&1 </dev/null
  read -r _ < /run/mgmt.go
  stage() { read -r up _ < /proc/uptime; echo "ipvs-harness: $1 uptime=$up"; }
  busybox ip link set lo up; busybox ip addr add 10.0.2.15/24 dev eth0; busybox ip link set eth0 up
  busybox ip route add default via 10.0.2.2
  stage network-up
  if [ "$1" = 0 ]; then echo "ipvs-harness: ssh disabled by the kernel command line"; exit 0; fi
  dropbear -r /etc/dropbear/host_key -p 22 -s -e -E -P /run/dropbear.pid -K 10
  # Builtins only (each exec is ~5 ms): local port 0016 = 22, no remote, state 0A = LISTEN.
  listening() { while read -r _ l r st _; do [ "$st" = 0A ] && [ "${l#*:}" = 0016 ] && [ "$r" = 00000000:0000 ] && return 0; done < /proc/net/tcp; return 1; }
  i=0
  while ! listening && [ $i -lt 400 ]; do usleep 5000; i=$((i + 1)); done
  stage ssh-ready
' init-mgmt "$ssh" &)
# Without a pid the shell never started: nobody would open the fifo, and init must not block on it
# (the host then reports BOOT_TIMEOUT with this console line).
if [ -n "$mgmt" ]; then
  busybox ip link set eth0 netns "$mgmt" || echo "ipvs-harness: moving eth0 to the management namespace failed"
  echo go > /run/mgmt.go
else
  echo "ipvs-harness: the management namespace's shell did not start"
fi

# PID 1 must not exit; reap orphans while waiting.
while :; do wait; sleep 3600; done
