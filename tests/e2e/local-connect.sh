#!/bin/sh
# local-connect.sh -- in local mode a program's connect ends as it would
# without trawl, because trawl reaches the server before it answers the
# program's SYN: a closed port is refused (ECONNREFUSED), an unreachable
# address fails with the same errno (ICMP from a router, or a neighbour
# that never answers, while the client's retransmitted SYNs make no second
# connect), a blackhole times out, a connect-and-close reaches the server
# once, and a server that speaks first is heard before the client says
# anything -- each over IPv4 and IPv6, compared with the same client
# outside the capture.
[ -n "${LOCAL_E2E_TIMED:-}" ] || LOCAL_E2E_TIMED=1 exec timeout -k 5 90 sh "$0" "$@"
. "$(dirname "$0")/local-common.inc"
PY=/usr/bin/python3

# Netns B routes for two more prefixes per family: one unreachable, one
# prohibited, each answered with ICMP (no rate limit: the test counts).
ip netns exec $B sysctl -qw net.ipv4.ip_forward=1 \
    net.ipv6.conf.all.forwarding=1 net.ipv4.icmp_ratelimit=0 \
    net.ipv6.icmp.ratelimit=0 || fail "sysctl in $B"
ip -n $B route add unreachable 198.51.100.0/24
ip -n $B route add prohibit 203.0.113.0/24
ip -n $B -6 route add unreachable 2001:db8:1::/48
ip -n $B -6 route add prohibit 2001:db8:2::/48
ip -n $B route add blackhole 100.64.0.0/24
ip -n $B -6 route add blackhole 2001:db8:3::/48
ip -n $A route add 198.51.100.0/24 via 192.0.2.1
ip -n $A route add 203.0.113.0/24 via 192.0.2.1
ip -n $A -6 route add 2001:db8:1::/48 via 2001:db8::1
ip -n $A -6 route add 2001:db8:2::/48 via 2001:db8::1
ip -n $A route add 100.64.0.0/24 via 192.0.2.1
ip -n $A -6 route add 2001:db8:3::/48 via 2001:db8::1

# A server that speaks first (an SSH-like banner) on port 2222, counting
# the connections it accepts in $T/accepts.
cat >"$T/banner.py" <<'EOF'
import socket, sys, threading
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
l = socket.socket(fam, socket.SOCK_STREAM)
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind((sys.argv[1], 2222))
l.listen(64)
def serve(c):
    try:
        c.sendall(b"SSH-2.0-trawl_test\r\n")
        while c.recv(4096):
            pass
    except OSError:
        pass
    c.close()
while True:
    c, peer = l.accept()
    with open(sys.argv[2], "a") as f:
        f.write("%s\n" % peer[0])
    threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF
: >"$T/accepts"
inb $PY "$T/banner.py" 192.0.2.1 "$T/accepts"
inb $PY "$T/banner.py" 2001:db8::1 "$T/accepts"

# The client: "connect HOST PORT" prints the errno's name (or "connected"),
# "slow HOST PORT" the same giving up after 2 SYN retries, not 6;
# "banner HOST" waits (10 s at most) for the server's first line without
# sending anything, then says hello; "touch HOST" connects and closes.
cat >"$T/client.py" <<'EOF'
import errno, select, socket, sys
what, host = sys.argv[1], sys.argv[2]
port = int(sys.argv[3]) if len(sys.argv) > 3 else 2222
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.settimeout(20)
if what == "slow":
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_SYNCNT, 2)
try:
    s.connect((host, port))
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))
    sys.exit(0)
if what in ("connect", "slow"):
    print("connected")
elif what == "banner":
    r, _, _ = select.select([s], [], [], 10)
    line = s.recv(100) if r else b""
    s.sendall(b"hello\r\n")
    s.shutdown(socket.SHUT_WR)
    while s.recv(100):
        pass
    print(line.decode(errors="replace").strip() or "nothing")
s.close()
EOF
i=0
until ina $PY "$T/client.py" connect 192.0.2.1 2222 | grep -q connected &&
    ina $PY "$T/client.py" connect 2001:db8::1 2222 | grep -q connected; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "banner servers did not start"
	sleep 0.05
done

start_trawl python3

# same CASE HOST PORT EXPECTED: the client outside and inside the capture
# both print EXPECTED.
same() {
	d=$(ina $PY "$T/client.py" connect "$2" "$3")
	c=$(incg $PY "$T/client.py" connect "$2" "$3")
	[ "$d" = "$4" ] || fail "$1 without trawl: $d, not $4"
	[ "$c" = "$d" ] || fail "$1 through trawl: $c, without: $d"
	ok "$1: $c with and without trawl"
}

# (a) A closed port is refused, not accepted and reset later.
same "closed port, IPv4" 192.0.2.1 9 ECONNREFUSED
same "closed port, IPv6" 2001:db8::1 9 ECONNREFUSED
waitfor "python3:[0-9]+ tcp 192\.0\.2\.1:9 .*error: cannot connect to 192\.0\.2\.1:9: Connection refused" ||
	fail "no flow for the refused connect"
ok "the refused connect is a flow with its error"

# (c) Unreachable: a router's ICMP, the same errno through trawl.
same "unreachable route, IPv4" 198.51.100.7 80 EHOSTUNREACH
same "prohibited route, IPv4" 203.0.113.7 80 EHOSTUNREACH
same "unreachable route, IPv6" 2001:db8:1::7 80 ENETUNREACH
same "prohibited route, IPv6" 2001:db8:2::7 80 EACCES
# No neighbour answers on the link: the kernel gives up after its ARP
# and ND probes (seconds, during which the client's SYN is sent again).
for h in 192.0.2.99 2001:db8::99; do
	ina $PY "$T/client.py" connect $h 80 >"$T/direct-$h" &
	d1=$!
	incg $PY "$T/client.py" connect $h 80 >"$T/trawl-$h" &
	d2=$!
	wait $d1; wait $d2
	[ "$(cat "$T/direct-$h")" = EHOSTUNREACH ] ||
		fail "no neighbour $h without trawl: $(cat "$T/direct-$h")"
	[ "$(cat "$T/trawl-$h")" = EHOSTUNREACH ] ||
		fail "no neighbour $h through trawl: $(cat "$T/trawl-$h")"
	ok "no neighbour for $h: EHOSTUNREACH with and without trawl"
done

# Both attempts were one connect each, the client's retransmitted SYNs
# absorbed while trawl's own connect was under way.
[ "$(grep -c 'tcp 192\.0\.2\.99:80 ' "$T/dump.out")" = 1 ] &&
    [ "$(grep -c 'tcp \[2001:db8::99\]:80 ' "$T/dump.out")" = 1 ] ||
	fail "retransmitted SYNs made more than one connect"
ok "the client's retransmitted SYNs make no second connect"

# Nothing answers (a blackhole): trawl says nothing either. Its own
# connects give up after one retry (3 s), the clients after two (7 s):
# the clients still time out by themselves, not refused.
ip netns exec $A sysctl -qw net.ipv4.tcp_syn_retries=1 || fail "sysctl"
pids=
for h in 100.64.0.7 2001:db8:3::7; do
	ina $PY "$T/client.py" slow $h 80 >"$T/direct-$h" &
	pids="$pids $!"
	incg $PY "$T/client.py" slow $h 80 >"$T/trawl-$h" &
	pids="$pids $!"
done
for q in $pids; do wait $q; done
for h in 100.64.0.7 2001:db8:3::7; do
	[ "$(cat "$T/direct-$h")" = ETIMEDOUT ] ||
		fail "blackhole $h without trawl: $(cat "$T/direct-$h")"
	[ "$(cat "$T/trawl-$h")" = ETIMEDOUT ] ||
		fail "blackhole $h through trawl: $(cat "$T/trawl-$h")"
	ok "blackhole $h: ETIMEDOUT with and without trawl"
done

# (b) A connect that closes at once reaches the server, once, as it does
# without trawl (trawl used to answer it alone and never connect).
for h in 192.0.2.1 2001:db8::1; do
	: >"$T/accepts"
	ina $PY "$T/client.py" touch $h >/dev/null
	incg $PY "$T/client.py" touch $h >/dev/null
	i=0
	while [ "$(wc -l <"$T/accepts")" -lt 2 ] && [ $i -lt 100 ]; do
		sleep 0.05; i=$((i + 1))
	done
	[ "$(wc -l <"$T/accepts")" = 2 ] ||
		fail "connect-and-close to $h: $(wc -l <"$T/accepts") of 2 reached the server"
	ok "connect-and-close to $h reaches the server, through trawl too"
done

# (b) The server speaks first: the client hears its banner without
# having sent a byte, and the flow is raw tcp with the banner's bytes.
for h in 192.0.2.1 2001:db8::1; do
	d=$(ina $PY "$T/client.py" banner $h)
	c=$(incg $PY "$T/client.py" banner $h)
	[ "$d" = "SSH-2.0-trawl_test" ] || fail "banner from $h without trawl: $d"
	[ "$c" = "$d" ] || fail "banner from $h through trawl: $c"
done
waitfor "python3:[0-9]+ tcp 192\.0\.2\.1:2222 << up 7b down 20b" 5 ||
	fail "no raw tcp flow with the banner"
waitfor "python3:[0-9]+ tcp \[2001:db8::1\]:2222 << up 7b down 20b" 5 ||
	fail "no IPv6 raw tcp flow with the banner"
ok "a server that speaks first is heard before the client speaks, IPv4 and IPv6"

stop_trawl
echo PASS
