#!/bin/sh
# netstack-echo.sh -- the netstack (NAT + lwIP) alone, on a tun in a network
# namespace of its own: build/e2e/netstack-echo serves every address routed
# into the tun (192.0.2.0/24, 2001:db8::/32) while curl and python in the
# namespace talk to them. Checks: 100 MB both ways with sha256 (IPv4 and
# IPv6), 200 parallel connections, UDP echo, half-close both ways, refused
# TCP (RST) and UDP (ICMP) within a second, multicast dropped, no lwIP
# assertion. Needs root (netns, tun). All of it twice: on a plain tun
# (lwIP computes and checks checksums) and on one framed as
# trawl-redirector makes it (virtio-net header, checksum offload).
set -eu
cd "$(dirname "$0")/../.."
case ${1:-both} in
both)	sh "$0" plain && exec sh "$0" vnet ;;
plain)	FLAG= ;;
vnet)	FLAG=--vnet ;;
*)	echo "usage: netstack-echo.sh [plain|vnet]"; exit 2 ;;
esac
echo "# $1 tun"
BUILD=${BUILD:-build}
BIN=$BUILD/e2e/netstack-echo
[ -x "$BIN" ] || { echo "missing $BIN (make all)"; exit 1; }

NS=trawl-nst-$$
TUN=tnst0
TMP=$(mktemp -d)
PID=
cleanup() {
	set +e
	if [ -n "$PID" ]; then
		kill "$PID" 2>/dev/null
		wait "$PID" 2>/dev/null
	fi
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() { echo "FAIL: $*"; echo "--- server log:"; tail -n 20 "$TMP/err"; exit 1; }
in_ns() { ip netns exec "$NS" "$@"; }

ip netns add "$NS"
in_ns ip link set lo up
# Not through in_ns: $! must be the server itself (ip execs it).
ip netns exec "$NS" "$BIN" $FLAG "$TUN" >"$TMP/out" 2>"$TMP/err" &
PID=$!
i=0
until grep -q ready "$TMP/out" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "netstack-echo did not start"
	sleep 0.05
done
in_ns sh -e -c "
ip link set $TUN mtu 65535 up
ip addr add 10.213.0.1/30 dev $TUN
ip -6 addr add fd74:7261:776c::1/64 dev $TUN nodad
ip route add 192.0.2.0/24 dev $TUN
ip route add 239.0.0.0/8 dev $TUN
ip -6 route add 2001:db8::/32 dev $TUN
"

# 100 MB downloads: each 8-byte little-endian word is its index.
want=$(python3 -c "
import array, hashlib
print(hashlib.sha256(array.array('Q', range(104857600 // 8)).tobytes()).hexdigest())")
for url in http://192.0.2.1/bytes/104857600 'http://[2001:db8::7]/bytes/104857600'; do
	got=$(in_ns timeout 60 curl -sS --fail "$url" | sha256sum | cut -d' ' -f1)
	[ "$got" = "$want" ] || fail "download $url: sha256 $got"
	echo "ok download $url"
done

in_ns timeout 120 python3 - "$TMP/err" <<'EOF' || fail "python checks"
import hashlib, os, socket, sys, threading, time

def check(cond, what):
    if not cond:
        print("FAIL:", what)
        sys.exit(1)
    print("ok", what)

# 100 MB upload through the echo port, read back concurrently; the FIN
# after sending comes back as the server's FIN after the echo.
def upload(fam, addr):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect((addr, 7))
    block = os.urandom(1 << 20)
    sent = hashlib.sha256()
    def writer():
        for i in range(100):
            b = block[i:] + block[:i]
            sent.update(b)
            s.sendall(b)
        s.shutdown(socket.SHUT_WR)
    t = threading.Thread(target=writer)
    t.start()
    got = hashlib.sha256()
    n = 0
    while True:
        d = s.recv(1 << 20)
        if not d:
            break
        got.update(d)
        n += len(d)
    t.join()
    s.close()
    check(n == 100 << 20 and got.digest() == sent.digest(),
          "upload+echo 100 MiB %s (%d bytes)" % (addr, n))

upload(socket.AF_INET, "192.0.2.2")
upload(socket.AF_INET6, "2001:db8::2")

# 200 connections open at once, to 200 addresses, IPv4 and IPv6.
socks = []
for i in range(200):
    if i % 2:
        s = socket.create_connection(("2001:db8::%x" % (i + 1), 80), 10)
    else:
        s = socket.create_connection(("192.0.2.%d" % (i + 1), 80), 10)
    socks.append(s)
for i, s in enumerate(socks):
    s.sendall(b"GET /bytes/%d HTTP/1.1\r\nHost: x\r\n\r\n" % (1000 + i))
good = 0
for i, s in enumerate(socks):
    data = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        data += d
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    n = 1000 + i
    want = b"".join(k.to_bytes(8, "little") for k in range(n // 8 + 1))[:n]
    good += head.startswith(b"HTTP/1.1 200") and body == want
check(good == 200, "200 parallel connections (%d good)" % good)

# Half-close from the client: the server still answers after our FIN.
s = socket.create_connection(("192.0.2.9", 9), 10)
s.sendall(b"x" * 12345)
s.shutdown(socket.SHUT_WR)
d = b""
while True:
    r = s.recv(100)
    if not r:
        break
    d += r
check(d == b"got 12345\n", "client half-close (%r)" % d)

# Half-close from the server: it sends FIN first and still reads.
s = socket.create_connection(("2001:db8::13", 13), 10)
d = b""
while True:
    r = s.recv(100)
    if not r:
        break
    d += r
s.sendall(b"abcd")
s.shutdown(socket.SHUT_WR)
s.settimeout(5)
check(s.recv(10) == b"" and d == b"hello\n", "server half-close (%r)" % d)
s.close()
deadline = time.time() + 5
log = sys.argv[1]
while time.time() < deadline and "after-shutdown 4\n" not in open(log).read():
    time.sleep(0.05)
check("after-shutdown 4\n" in open(log).read(), "server read after its FIN")

# UDP echo, IPv4 and IPv6, a few 5-tuples each.
for fam, addr in ((socket.AF_INET, "192.0.2.53"), (socket.AF_INET6, "2001:db8::53")):
    for port in (5353, 7777):
        u = socket.socket(fam, socket.SOCK_DGRAM)
        u.settimeout(5)
        u.connect((addr, port))
        for k in (1, 1400, 60000):
            msg = os.urandom(k)
            u.send(msg)
            check(u.recv(65536) == msg, "udp echo %s:%d %d bytes" % (addr, port, k))
        u.close()

# Refused upstream: TCP gets a reset, UDP an ICMP error, within a second.
# The reset may come before connect() returns (the handshake completes in
# lwIP, the proxy refuses at once).
for addr in ("192.0.2.81", "2001:db8::81"):
    t0 = time.time()
    try:
        s = socket.create_connection((addr, 81), 5)
        s.settimeout(2)
        r = s.recv(10)
        err = "eof %r" % r
    except (ConnectionResetError, ConnectionRefusedError):
        err = "reset"
    except OSError as e:
        err = str(e)
    check(err == "reset" and time.time() - t0 < 1, "tcp refused %s (%s)" % (addr, err))
for fam, addr in ((socket.AF_INET, "192.0.2.54"), (socket.AF_INET6, "2001:db8::54")):
    t0 = time.time()
    u = socket.socket(fam, socket.SOCK_DGRAM)
    u.settimeout(2)
    u.connect((addr, 54))
    u.send(b"q")
    try:
        u.recv(10)
        err = "answered"
    except ConnectionRefusedError:
        err = "refused"
    except OSError as e:
        err = str(e)
    check(err == "refused" and time.time() - t0 < 1, "udp refused %s (%s)" % (addr, err))

# Multicast (SSDP) into the tun must not become a connection.
m = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
m.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("10.213.0.1"))
m.sendto(b"M-SEARCH * HTTP/1.1\r\n\r\n", ("239.255.255.250", 1900))
time.sleep(0.3)
check("239.255.255.250" not in open(log).read(), "multicast dropped")
EOF

# curl sees the refused connection as a failure, fast.
t0=$(date +%s%N)
if in_ns timeout 5 curl -sS -o /dev/null http://192.0.2.81:81/ 2>/dev/null; then
	fail "curl to a refused port succeeded"
fi
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ms" -lt 1000 ] || fail "curl refused took $ms ms"
echo "ok curl refused in $ms ms"

kill "$PID"
wait "$PID" || true
PID=
grep '^stats' "$TMP/err"
grep -q '^stats.* asserts 0' "$TMP/err" || fail "lwIP assertions"
! grep -q 'Sanitizer\|runtime error' "$TMP/err" || fail "sanitizer report"
echo "ok no lwIP assertion"
