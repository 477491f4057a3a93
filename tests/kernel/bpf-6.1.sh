#!/bin/sh
# bpf-6.1.sh -- ebpf/redirect.bpf.c loads, attaches and runs under Debian
# 12's Linux 6.1, not only under the kernel this machine runs: newer
# verifiers accept programs older ones reject.
#
# Boots the newest linux-image-6.1.0-*-cloud-amd64-unsigned from the
# Debian archive (downloaded once into build/kernel/, never installed) in
# qemu with an initramfs of busybox and tests/kernel/bpf-load, which loads
# the skeleton, attaches it to a child cgroup inside the guest and drives
# it. Nothing on the host is attached to, mounted or reconfigured.
# KVM when /dev/kvm opens, else TCG. Not run by tests/run.sh (slow, needs
# the network once).
[ -n "${BPF61_TIMED:-}" ] || BPF61_TIMED=1 exec timeout -k 5 900 sh "$0" "$@"
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
K=$BUILD/kernel
# Booting under TCG takes seconds here; slow machines get five minutes.
BOOT_TIMEOUT=${BOOT_TIMEOUT:-300}

T= QPID=
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok - $1"; }
cleanup() {
	[ -n "$QPID" ] && kill "$QPID" 2>/dev/null && wait "$QPID" 2>/dev/null
	[ -n "$T" ] && rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# (a) Tools: qemu and a static busybox (also the cpio writer); make deps
# installs them, this covers a run on its own.
sh tests/deps.sh qemu-system-x86 busybox-static || fail "installing qemu"
for c in qemu-system-x86_64 dpkg-deb gzip pkg-config gcc; do
	command -v $c >/dev/null || fail "$c missing"
done

mkdir -p "$K" || fail "mkdir $K"
T=$(mktemp -d /tmp/bpf-6.1.XXXXXX) || fail mktemp

# (b) The newest Debian 6.1 cloud kernel (smallest flavour; BTF, cgroup
# BPF and the 8250 console are built in). Offline, the cached one.
newest() {
	apt-cache search --names-only \
	    '^linux-image-6\.1\.0-[0-9]+-cloud-amd64-unsigned$' |
	    awk '{ print $1 }' | sort -V | tail -n 1
}
PKG=$(newest)
if [ -z "$PKG" ] && [ "$(id -u)" = 0 ]; then
	apt-get update -q >/dev/null 2>&1
	PKG=$(newest)
fi
if [ -n "$PKG" ]; then
	DEB=$(ls "$K/${PKG}_"*.deb 2>/dev/null | tail -n 1)
	if [ -z "$DEB" ]; then
		echo "downloading $PKG"
		# apt-get downloads into the current directory.
		(cd "$K" && apt-get download -q "$PKG" >/dev/null 2>&1) ||
			fail "apt-get download $PKG"
		DEB=$(ls "$K/${PKG}_"*.deb 2>/dev/null | tail -n 1)
	fi
else
	DEB=$(ls "$K"/linux-image-6.1.0-*-cloud-amd64-unsigned_*.deb \
	    2>/dev/null | sort -V | tail -n 1)
fi
[ -n "$DEB" ] && [ -f "$DEB" ] || fail "no Debian 6.1 kernel package"
ROOT=${DEB%.deb}
if [ ! -d "$ROOT/boot" ]; then
	rm -rf "$ROOT.tmp"
	dpkg-deb -x "$DEB" "$ROOT.tmp" || fail "dpkg-deb -x $DEB"
	mv "$ROOT.tmp" "$ROOT"
fi
VMLINUZ=$(ls "$ROOT"/boot/vmlinuz-* 2>/dev/null | head -n 1)
[ -n "$VMLINUZ" ] || fail "no boot/vmlinuz-* in $DEB"
echo "kernel: $(basename "$DEB")"

# (c) The loader, static so the initramfs needs no libraries.
make -s --no-print-directory BUILD="$BUILD" "$BUILD/redirect.skel.h" ||
	fail "make $BUILD/redirect.skel.h"
gcc -std=c11 -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE \
    -O2 -I. -I"$BUILD" -Iebpf -static -o "$K/bpf-load" \
    tests/kernel/bpf-load.c $(pkg-config --static --libs libbpf) \
    2>"$T/cc" || { cat "$T/cc"; fail "building bpf-load"; }

R=$T/root
mkdir -p "$R/bin" "$R/sbin" "$R/usr/bin" "$R/usr/sbin" "$R/dev" "$R/proc" \
    "$R/sys" || fail "mkdir $R"
cp /bin/busybox "$R/bin/busybox" && cp "$K/bpf-load" "$R/bin/bpf-load" ||
	fail "copying into the initramfs"
cat > "$R/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
# The initramfs has no /dev/console node: take the console from devtmpfs.
mount -t devtmpfs dev /dev
exec 0</dev/console 1>/dev/console 2>&1
echo	# ends the line the firmware's terminal reset is on
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t cgroup2 cgroup2 /sys/fs/cgroup
[ -r /sys/kernel/btf/vmlinux ] || echo "bpf-6.1: no /sys/kernel/btf/vmlinux"
ip link set lo up
mkdir /sys/fs/cgroup/bpf-load
echo $$ > /sys/fs/cgroup/bpf-load/cgroup.procs
echo "bpf-6.1: guest $(cat /proc/version)"
/bin/bpf-load /sys/fs/cgroup/bpf-load
echo "bpf-6.1: bpf-load exited $?"
poweroff -f
EOF
chmod 755 "$R/init"
(cd "$R" && find . | /bin/busybox cpio -o -H newc 2>/dev/null) |
    gzip -1 > "$T/initrd.gz" || fail "initramfs"

# (d) Boot. -no-reboot and panic=-1 turn a panic into qemu's exit too.
boot() {
	accel=$1 limit=$2
	case $accel in
	kvm)	set -- -enable-kvm -cpu host ;;
	*)	set -- -accel tcg ;;
	esac
	timeout -k 5 "$limit" qemu-system-x86_64 "$@" -m 512 -smp 1 \
	    -nographic -no-reboot -kernel "$VMLINUZ" -initrd "$T/initrd.gz" \
	    -append "console=ttyS0 panic=-1 quiet loglevel=4" \
	    </dev/null >"$T/serial" 2>&1 &
	QPID=$!
	wait "$QPID" 2>/dev/null
	QRC=$?
	QPID=
	tr -d '\r' < "$T/serial" > "$T/log"
	cp "$T/log" "$K/serial-$accel.log"	# the whole console, to read
}
START=$(date +%s)
ACCEL=tcg
if (: <>/dev/kvm) 2>/dev/null; then
	# A KVM boot takes seconds; KVM that opens but does not run (nested
	# without support: qemu aborts or the guest never prints) falls back.
	ACCEL=kvm
	boot kvm "${KVM_TIMEOUT:-30}"
	if ! grep -q 'BPF-LOAD-' "$T/log"; then
		echo "KVM did not boot the guest (qemu exit $QRC):" \
		    "$(grep -m 1 -i -E 'error|fail' "$T/log")"
		ACCEL=tcg
	fi
fi
[ "$ACCEL" = tcg ] && boot tcg "$BOOT_TIMEOUT"
echo "booted with $ACCEL in $(($(date +%s) - START)) s (qemu exit $QRC)"

# (e) The verdict, with the libbpf/verifier lines on failure.
if grep -q '^BPF-LOAD-OK' "$T/log"; then
	grep -E '^(bpf-6\.1|bpf-load|libbpf|BPF-LOAD)' "$T/log"
	ok "redirect.bpf.c loads under $(sed -n 's/^BPF-LOAD-OK //p' \
	    "$T/log")"
	exit 0
fi
if grep -q '^BPF-LOAD-FAIL' "$T/log"; then
	grep -E -v '^\[ *[0-9]+\.[0-9]+\]' "$T/log" |
	    sed -n '/bpf-6\.1: guest/,$p' | grep -v '^reboot:'
	fail "redirect.bpf.c does not load under 6.1"
fi
tail -n 40 "$T/log"
fail "no verdict from the guest ($ACCEL, qemu exit $QRC)"
