#!/bin/sh
# ipvs-harness guest init. A template: vm/initramfs.ts fills the @@NAME@@ placeholders.
# Lines starting with "ipvs-harness: " are read by the host (vm/console-watcher.ts): keep their shape.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root
stage() { read -r up _ < /proc/uptime; echo "ipvs-harness: $1 uptime=$up"; }

mount -t proc proc /proc
stage init-start
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /dev/shm
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
ln -sf /proc/self/fd /dev/fd

# Boot modules in dependency order (computed on the host): only what the network needs. Everything
# else (ip_vs, schedulers, veth, ...) loads with `modprobe` on demand; `ipvsharness.modules=a,b` on
# the kernel command line preloads more.
for m in @@BOOT_MODULES@@; do
  insmod "/lib/modules/@@RELEASE@@/$m" || echo "ipvs-harness: insmod $m failed"
done
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    ipvsharness.modules=*) for m in $(echo "${arg#*=}" | tr ',' ' '); do modprobe "$m" || echo "ipvs-harness: modprobe $m failed"; done ;;
  esac
done
stage modules-loaded

hostname guest
# Management namespace: eth0 and the SSH server live here so SSH traffic never crosses the IPVS hooks
# of the root namespace, where scenarios run (`nsenter --net=/proc/1/ns/net`). Done with busybox's
# static applets: each exec of the dynamically linked iproute2 costs ~0.1 s under TCG, and every
# process spawned here is on the boot's critical path (docs/vm.md, "Where a boot's time goes").
busybox ip link set lo up
mkdir -p /run/netns && : > /run/netns/mgmt
busybox unshare --net=/run/netns/mgmt true
MGMT="busybox nsenter --net=/run/netns/mgmt"
# An anchor in the new namespace whose pid eth0 can be moved to. It prints its pid once it is inside
# (nsenter joins before it execs the shell), so no polling: the command substitution returns when
# the anchor's shell replaces itself with sleep, stdout pointed away.
anchor=$($MGMT busybox sh -c 'echo $$; exec busybox sleep 1000000 >/dev/null 2>&1 </dev/null' &)
busybox ip link set eth0 netns "$anchor"
kill "$anchor"
case " $(cat /proc/cmdline) " in
  *" ipvsharness.nossh=1 "*) ssh=0 ;;
  *) ssh=1 ;;
esac
# One shell in the management namespace brings the network up, starts the SSH server (-e passes PATH
# on to sessions; -s: keys only; -E: log to the console) and says "ready" once port 22 listens
# (0016 = 22, state 0A = LISTEN; /proc/net/tcp is this namespace's, since the shell is in it).
$MGMT busybox sh -c '
  stage() { read -r up _ < /proc/uptime; echo "ipvs-harness: $1 uptime=$up"; }
  ip link set lo up; ip addr add 10.0.2.15/24 dev eth0; ip link set eth0 up; ip route add default via 10.0.2.2
  stage network-up
  if [ "$1" = 0 ]; then echo "ipvs-harness: ssh disabled by the kernel command line"; exit 0; fi
  dropbear -r /etc/dropbear/host_key -p 22 -s -e -E -P /run/dropbear.pid -K 10
  i=0
  while ! grep -q ":0016 00000000:0000 0A" /proc/net/tcp && [ $i -lt 400 ]; do usleep 5000; i=$((i + 1)); done
  stage ssh-ready
' init-mgmt "$ssh"

# PID 1 must not exit; reap orphans while waiting.
while :; do wait; sleep 3600; done
