#!/bin/sh
# security-capture.sh -- a user's trawl (trawl-redirector through sudo, as
# trawl(1) documents) captures only that user's processes: root's curl in
# the same cgroup is not captured. And whoever holds the tun fd reaches
# only the captured sockets: packets written into the tun for root's
# listeners on 127.0.0.1, on the host's addresses (the veth's, the tun's,
# IPv6) or to a broadcast address, UDP or a TCP Fast Open SYN that would
# hand its data to accept(), reach none of them, while one for the user's
# captured UDP socket does.
[ -n "${LOCAL_E2E_TIMED:-}" ] || LOCAL_E2E_TIMED=1 exec timeout -k 5 90 sh "$0" "$@"
. "$(dirname "$0")/local-common.inc"
command -v sudo >/dev/null || fail "sudo missing (make deps)"
command -v setpriv >/dev/null || fail "setpriv missing"

U=trawlsec$$
useradd -M -r -s /bin/sh "$U" || fail "useradd"
SUDOERS=/etc/sudoers.d/trawl-e2e-$$
trap 'rm -f "$SUDOERS"; userdel "$U" 2>/dev/null; cleanup' EXIT
RD=$(pwd)/$BUILD/trawl-redirector
printf '%s ALL=(root) NOPASSWD: %s\n' "$U" "$RD" >"$SUDOERS.tmp"
chmod 440 "$SUDOERS.tmp" && mv "$SUDOERS.tmp" "$SUDOERS"
visudo -cq -f "$SUDOERS" || fail "sudoers entry"
chmod 755 "$T"
mkdir "$T/conf" "$T/u" && chown "$U" "$T/conf" "$T/u"

start_servers
# Root's listeners in netns A, outside the cgroup: UDP on 127.0.0.1:5301,
# UDP on every address (:: and 0.0.0.0) :5302, and a TCP listener on
# 127.0.0.1:5303 that takes Fast Open data from a bare SYN.
ina sh -c 'echo 514 > /proc/sys/net/ipv4/tcp_fastopen' || fail "tcp_fastopen"
nsenter --net=/run/netns/$A python3 -u -c '
import select, socket, sys
a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
a.bind(("127.0.0.1", 5301))
b = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
b.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
b.bind(("::", 5302))
l = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.setsockopt(socket.IPPROTO_TCP, socket.TCP_FASTOPEN, 8)
l.bind(("127.0.0.1", 5303))
l.listen(8)
out = open(sys.argv[1], "a", buffering=1)
while True:
    for s in select.select([a, b, l], [], [])[0]:
        if s is l:
            c, peer = l.accept()
            c.settimeout(0.5)
            try:
                d = c.recv(100)
            except OSError:
                d = b"?"
            out.write("tcp %s %s\n" % (peer[0], d.decode(errors="replace")))
            c.close()
        else:
            d, peer = s.recvfrom(100)
            out.write("udp %d %s %s\n" % (s.getsockname()[1], peer[0],
                d.decode(errors="replace")))
' "$T/root-got" &
SRV_PIDS="$SRV_PIDS $!"
: >"$T/root-got"
# The listeners work: one datagram and one connection straight to them.
i=0
until grep -q "udp 5301 127.0.0.1 direct" "$T/root-got"; do
	ina python3 -c 'import socket; socket.socket(socket.AF_INET,
	    socket.SOCK_DGRAM).sendto(b"direct", ("127.0.0.1", 5301))'
	i=$((i + 1)); [ $i -gt 40 ] && fail "root's UDP listener does not work"
	sleep 0.05
done
ina python3 -c 'import socket; s = socket.create_connection(("127.0.0.1",
    5303)); s.sendall(b"direct")' || fail "root's TCP listener"
i=0
until grep -q "tcp 127.0.0.1 direct" "$T/root-got"; do
	i=$((i + 1)); [ $i -gt 40 ] && fail "root's TCP listener does not work"
	sleep 0.05
done
ok "root's listeners on 127.0.0.1 and on every address answer directly"

TRAWL_AS=$U start_trawl curl,python3 --confdir "$T/conf"
[ "$(stat -c %U /proc/$TRAWL_PID)" = "$U" ] || fail "trawl does not run as $U"

# waitdump PATTERN: until a dump line matches (3 s).
waitdump() {
	i=0
	while ! grep -q -E -- "$1" "$T/dump.out"; do
		i=$((i + 1)); [ $i -gt 60 ] && return 1
		sleep 0.05
	done
}
# Root's curl in the cgroup is not captured; the user's is, after it.
incg curl -sS -m 3 -o /dev/null http://192.0.2.1/len/71 ||
	fail "root's curl does not reach the server"
bgcg setpriv --reuid="$U" --regid="$U" --init-groups \
    curl -sS -m 3 -o /dev/null http://192.0.2.1/len/72
wait $p || fail "the user's curl through trawl"
waitdump "curl:$p GET http://192\.0\.2\.1/len/72 << 200" ||
	fail "the user's curl was not captured"
absent "/len/71" || fail "a user's trawl captured root's curl"
ok "a user's trawl captures the user's curl, not root's in the same cgroup"

# The user's captured UDP socket: an echo through trawl, then it waits for
# one more datagram, which the injector writes into the tun last.
bgcg setpriv --reuid="$U" --regid="$U" --init-groups /usr/bin/python3 -c '
import os, socket, sys
d = sys.argv[1]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.sendto(b"echo", ("192.0.2.1", 7777))
assert s.recv(100) == b"echo"
open(d + "/port.tmp", "w").write(str(s.getsockname()[1]))
os.rename(d + "/port.tmp", d + "/port")
open(d + "/cap", "w").write(s.recv(100).decode())
' "$T/u"
CAP=$p
i=0
until [ -f "$T/u/port" ]; do
	i=$((i + 1)); [ $i -gt 60 ] && fail "the captured UDP socket did not start"
	kill -0 $CAP 2>/dev/null || fail "the captured UDP client failed"
	sleep 0.05
done
PORT=$(cat "$T/u/port")

ina python3 tests/e2e/security-inject.py $TRAWL_PID \
    "udp4 8.8.8.8 53 127.0.0.1 5301 lo-spoofed" \
    "udp4 127.0.0.1 53 127.0.0.1 5301 lo-local" \
    "udp4 192.0.2.1 53 192.0.2.2 5302 host-veth" \
    "udp4 192.0.2.1 53 10.213.0.1 5302 host-tun" \
    "udp4 192.0.2.1 53 10.213.0.3 5302 tun-broadcast" \
    "udp4 192.0.2.1 53 255.255.255.255 5302 broadcast" \
    "udp6 2001:db8::1 53 fd74:7261:776c::1 5302 host-tun6" \
    "udp6 2001:db8::1 53 2001:db8::2 5302 host-veth6" \
    "tfo4 192.0.2.1 4444 127.0.0.1 5303 tfo-spoofed" \
    "tfo4 127.0.0.1 4445 127.0.0.1 5303 tfo-local" \
    "udp4 192.0.2.1 7777 10.213.0.1 $PORT for-the-captured" ||
	fail "injecting into the tun"
wait $CAP || fail "the captured UDP socket got nothing injected (control)"
[ "$(cat "$T/u/cap")" = for-the-captured ] ||
	fail "the captured UDP socket got '$(cat "$T/u/cap")'"
# Everything injected before the control was delivered (or not) before it.
sleep 0.5
grep -v direct "$T/root-got" | grep . &&
	fail "packets written into the tun reached root's listeners"
ok "injected packets reach the captured socket and none of root's listeners"

stop_trawl
echo PASS
