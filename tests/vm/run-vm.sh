#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Boot the VM test bed once and keep what it said:
#
#   namespace vnovm-<suffix> (made here, removed on exit)
#     vt0  tap, vnet_hdr, 192.0.2.2/24      <- guest eth0, virtio-net-pci
#     vt1  tap, vnet_hdr, 198.51.100.2/24   <- guest eth1, e1000e
#     iperf3 servers on 192.0.2.2:5201 and 198.51.100.2:5202
#     vnoffload-trace record -i vt0 -i vt1 --json (the host's own view)
#     qemu-system-x86_64 -accel tcg, kernel from fetch-kernel.sh, initramfs
#     from build-initramfs.sh (its /init is guest-init.sh)
#
# Outputs, in $VNO_VM_RUN (default .output/vm/run), for check-vm.sh:
#   console.log   the guest's serial console
#   host.jsonl    the host-side record (host.err: its stderr)
#   timings       boot_s=… guest_s=… total_s=… (host wall clock)
#   kernel-version, kernel-package   the kernel booted (fetch-kernel.sh's)
#
#   VNO_VM_TIMEOUT=240     hard limit on qemu, seconds
#   VNO_VM_MODES=fentry,kprobe   --attach values the guest tries
#   VNO_VM_BYTES=8M        TCP bytes per NIC per record run
#   VNO_VM_NO_INSTALL=1    never apt-get install a missing qemu/busybox
#   VNO_VM_VERBOSE=1       stream the console while it runs
#   VNO_VM_LOCK_HELD=1     the caller holds $VNO_VM_DIR/.lock (test-vm.sh)
#
# Exit status: 0 the guest ran to its end (VNO-DONE), 77 the VM cannot run
# here at all (reason on a "SKIP: ..." line), 1 anything else. Everything
# made here (namespace, taps, processes, temporary files) is removed on any
# exit.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$ROOT/tests/vm
VM_DIR=${VNO_VM_DIR:-$ROOT/.output/vm}
RUN=${VNO_VM_RUN:-$VM_DIR/run}
VNO_BIN=${VNO_BIN:-$ROOT/vnoffload-trace}
TIMEOUT=${VNO_VM_TIMEOUT:-240}
MODES=${VNO_VM_MODES:-fentry,kprobe}
BYTES=${VNO_VM_BYTES:-8M}
# The guest gives up a little before qemu is killed, so its log still ends
# with what it was doing.
GUEST_DEADLINE=$((TIMEOUT - 30))
QEMU=${VNO_QEMU:-qemu-system-x86_64}

SFX=$(printf '%x%02x' $$ $((RANDOM % 256)))
NS=vnovm-$SFX
NS_MADE=
PIDS=()
TMP=$(mktemp -d "${TMPDIR:-/tmp}/vno-vm.XXXXXX")

HOST0=192.0.2.2 HOST1=198.51.100.2
PORT0=5201 PORT1=5202

say() { printf 'run-vm: %s\n' "$*" >&2; }
skip() {
	printf 'SKIP: %s\n' "$*" >&2
	exit 77
}
die() {
	say "$*"
	exit 1
}

kill_wait()
{
	local pid=$1 sig=${2:-TERM} i
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
	kill -"$sig" "$pid" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

cleanup()
{
	local rc=$? pid
	trap - EXIT INT TERM
	for pid in "${PIDS[@]}"; do
		kill_wait "$pid" TERM
	done
	if [[ -n $NS_MADE ]]; then
		# Whatever still runs in our namespace is ours: qemu, iperf3, record.
		for pid in $(ip netns pids "$NS" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
		ip -n "$NS" link del vt0 2>/dev/null
		ip -n "$NS" link del vt1 2>/dev/null
		ip netns del "$NS" 2>/dev/null || say "could not delete netns $NS"
	fi
	rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- prerequisites -------------------------------------------------------------

[[ $(id -u) == 0 ]] || die "needs root: network namespaces, taps and BPF"
[[ -x $VNO_BIN ]] || die "$VNO_BIN is not built (make)"
for c in ip iperf3 ss timeout flock; do
	command -v "$c" >/dev/null || die "'$c' is not installed (make deps)"
done

# qemu and busybox-static are all the VM needs beyond the build; try to
# install them once if missing (CI runs `make deps` first anyway).
need_pkgs=()
command -v "$QEMU" >/dev/null || need_pkgs+=(qemu-system-x86)
# The guest has no libc for busybox: only the static build will do.
if [[ ! -x /bin/busybox ]] || ldd /bin/busybox >/dev/null 2>&1; then
	need_pkgs+=(busybox-static)
fi
if ((${#need_pkgs[@]})); then
	[[ -z ${VNO_VM_NO_INSTALL:-} ]] ||
		skip "${need_pkgs[*]} not installed (VNO_VM_NO_INSTALL set: not installing)"
	say "installing ${need_pkgs[*]}"
	{ apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends "${need_pkgs[@]}"; } >"$TMP/apt.log" 2>&1 ||
		skip "${need_pkgs[*]} not installed and apt-get install failed: $(tail -n 1 "$TMP/apt.log")"
	command -v "$QEMU" >/dev/null || skip "$QEMU not found even after installing qemu-system-x86"
fi

# Can this qemu run the guest at all? TCG, the two NICs, taps.
"$QEMU" -accel help 2>/dev/null | grep -qx tcg || skip "$QEMU has no TCG accelerator"
devs=$("$QEMU" -device help 2>/dev/null)
for d in virtio-net-pci e1000e; do
	grep -q "\"$d\"" <<<"$devs" || skip "$QEMU has no $d device"
done
[[ -c /dev/net/tun ]] || skip "no /dev/net/tun: qemu cannot open taps"

# One run at a time per cache: the kernel, the initramfs and the run
# directory are shared (a second `make test` waits here, it does not race).
# test-vm.sh takes the lock itself, to cover the checks too.
mkdir -p "$VM_DIR"
if [[ -z ${VNO_VM_LOCK_HELD:-} ]]; then
	exec {lock_fd}>"$VM_DIR/.lock"
	if ! flock -n "$lock_fd"; then
		say "another test bed run holds ${VM_DIR#"$ROOT"/}/.lock: waiting for it"
		flock -w 600 "$lock_fd" || die "${VM_DIR#"$ROOT"/}/.lock still held after 600 s"
	fi
fi

"$HERE/fetch-kernel.sh"
rc=$?
((rc == 0)) || exit "$rc"
"$HERE/build-initramfs.sh"
rc=$?
((rc == 0)) || exit "$rc"
KERNEL=$VM_DIR/kernel/vmlinuz
INITRD=$VM_DIR/initramfs.cpio.gz

rm -rf "$RUN"
mkdir -p "$RUN"
# Which kernel this run boots, for check-vm.sh's expectations.
cp "$VM_DIR/kernel/version" "$RUN/kernel-version"
cp "$VM_DIR/kernel/package" "$RUN/kernel-package"
CONSOLE=$RUN/console.log

# ---- the host side ---------------------------------------------------------------

ip netns add "$NS" || die "cannot create netns $NS"
NS_MADE=1
nsx() { ip netns exec "$NS" "$@"; }
ip -n "$NS" link set lo up
nsx sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1

# Persistent taps made here, so addresses are in place before qemu opens
# them (TUNSETIFF on an existing tap takes qemu's IFF_VNET_HDR as it comes).
for t in "vt0 $HOST0" "vt1 $HOST1"; do
	set -- $t
	nsx ip tuntap add dev "$1" mode tap vnet_hdr || die "cannot create tap $1 in $NS"
	ip -n "$NS" addr add "$2/24" dev "$1"
	ip -n "$NS" link set "$1" up
done

# Record once iperf3 is up: the servers' own sockets are not under watch.
# Background jobs run `ip netns exec` itself (not a shell function), so $!
# is the process that becomes the command and the one cleanup kills.
ip netns exec "$NS" iperf3 -s -B "$HOST0" -p "$PORT0" >"$TMP/iperf0.log" 2>&1 &
PIDS+=($!)
ip netns exec "$NS" iperf3 -s -B "$HOST1" -p "$PORT1" >"$TMP/iperf1.log" 2>&1 &
PIDS+=($!)
listening() { nsx ss -Hltn "sport = :$1" | grep -q LISTEN; }
for ((i = 0; i < 100; i++)); do
	listening "$PORT0" && listening "$PORT1" && break
	sleep 0.1
done
if ! { listening "$PORT0" && listening "$PORT1"; }; then
	die "iperf3 servers did not start: $(cat "$TMP"/iperf*.log)"
fi

mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf 2>/dev/null
[[ -e /sys/kernel/tracing/events ]] || mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
if [[ -z ${VNO_VM_NO_HOST_RECORD:-} ]]; then
	ip netns exec "$NS" "$VNO_BIN" --json record -i vt0 -i vt1 >"$RUN/host.jsonl" 2>"$RUN/host.err" &
	HOST_REC=$!
	PIDS+=("$HOST_REC")
	for ((i = 0; i < 150; i++)); do
		grep -q '"type":"ready"' "$RUN/host.jsonl" && break
		kill -0 "$HOST_REC" 2>/dev/null || break
		sleep 0.1
	done
	grep -q '"type":"ready"' "$RUN/host.jsonl" ||
		say "host-side record did not start: $(head -c 300 "$RUN/host.err")"
fi

# ---- the guest -------------------------------------------------------------------

append="console=ttyS0 quiet panic=-1 vno.modes=$MODES vno.bytes=$BYTES"
append+=" vno.deadline=$GUEST_DEADLINE vno.port0=$PORT0 vno.port1=$PORT1"
# The commas are qemu's own option syntax:
# shellcheck disable=SC2054
qemu_args=(
	-accel tcg -m 512 -smp 1 -nodefaults -display none -no-reboot
	-serial "file:$CONSOLE"
	-kernel "$KERNEL" -initrd "$INITRD" -append "$append"
	-netdev tap,id=n0,ifname=vt0,script=no,downscript=no,vnet_hdr=on
	-device virtio-net-pci,netdev=n0,mac=52:54:00:00:53:01,romfile=
	-netdev tap,id=n1,ifname=vt1,script=no,downscript=no,vnet_hdr=on
	-device e1000e,netdev=n1,mac=52:54:00:00:64:01,romfile=
)
say "booting $(cat "$VM_DIR/kernel/package") under TCG (timeout ${TIMEOUT}s)"
printf '%q ' "$QEMU" "${qemu_args[@]}" >"$RUN/qemu.cmdline"
t_start=$(date +%s.%N)
# timeout passes our TERM on to qemu.
ip netns exec "$NS" timeout -k 5 "$TIMEOUT" "$QEMU" "${qemu_args[@]}" </dev/null >"$RUN/qemu.out" 2>&1 &
QEMU_PID=$!
PIDS+=("$QEMU_PID")
if [[ -n ${VNO_VM_VERBOSE:-} ]]; then
	# tail ends by itself once qemu has.
	tail --pid="$QEMU_PID" -F -n +1 "$CONSOLE" 2>/dev/null | sed 's/^/  guest| /' >&2 &
	PIDS+=($!)
fi

t_boot=
while kill -0 "$QEMU_PID" 2>/dev/null; do
	if [[ -z $t_boot ]] && grep -q '^VNO-GUEST start' "$CONSOLE" 2>/dev/null; then
		t_boot=$(date +%s.%N)
		say "guest up after $(awk -v a="$t_start" -v b="$t_boot" 'BEGIN { printf "%.1f", b - a }') s"
	fi
	sleep 0.2
done
wait "$QEMU_PID"
qrc=$?
t_end=$(date +%s.%N)

if [[ -n ${HOST_REC:-} ]]; then
	kill_wait "$HOST_REC" INT
fi

# Lines as the guest wrote them: the serial console ends them with \r\n.
sed -i 's/\r$//' "$CONSOLE"

sec() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
{
	printf 'boot_s=%s ' "$([[ -n $t_boot ]] && sec "$t_start" "$t_boot" || echo none)"
	printf 'guest_s=%s ' "$([[ -n $t_boot ]] && sec "$t_boot" "$t_end" || echo none)"
	printf 'total_s=%s\n' "$(sec "$t_start" "$t_end")"
} >"$RUN/timings"
say "timings: $(cat "$RUN/timings")"

if ((qrc == 124 || qrc == 137)); then
	say "qemu killed after ${TIMEOUT}s; the console's last lines:"
	tail -n 30 "$CONSOLE" | sed 's/^/  guest| /' >&2
	exit 1
fi
if ((qrc != 0)); then
	say "qemu exited with $qrc: $(head -c 500 "$RUN/qemu.out")"
	exit 1
fi
if ! grep -q '^VNO-DONE' "$CONSOLE"; then
	say "the guest did not reach its end; the console's last lines:"
	tail -n 30 "$CONSOLE" | sed 's/^/  guest| /' >&2
	exit 1
fi
exit 0
