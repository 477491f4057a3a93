#!/bin/sh
# local-rawdns.sh -- local mode's raw flows: a TCP exchange shows as the
# chunks each side sent (--dump-messages), a UDP flow is printed at its
# first reply (not at 60 s idle), DNS flows print name, type, rcode and
# answers, over UDP and over TCP (dig +tcp).
[ -n "${LOCAL_E2E_TIMED:-}" ] || LOCAL_E2E_TIMED=1 exec timeout -k 5 90 sh "$0" "$@"
. "$(dirname "$0")/local-common.inc"
PY=/usr/bin/python3
command -v dig >/dev/null || fail "dig missing (make deps: dnsutils)"

start_servers
# A TCP server that answers each read with it in capitals.
inb $PY -c '
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("192.0.2.1", 9009))
s.listen(8)
while True:
    c = s.accept()[0]
    while True:
        d = c.recv(4096)
        if not d:
            break
        c.sendall(d.upper())
    c.close()
'
i=0
until ina $PY -c 'import socket; socket.create_connection(("192.0.2.1", 9009), 0.2).close()' 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "tcp server did not start"
	sleep 0.05
done

start_trawl "python3,dig" --dump-messages -w "$T/flows.har"

# Two chunks each way, each answered before the next goes.
incg timeout 10 $PY -c '
import socket
c = socket.create_connection(("192.0.2.1", 9009), 5)
for m in (b"one", b"two-two"):
    c.sendall(m)
    print(c.recv(100).decode())
c.close()
' >"$T/tcp" 2>&1
grep -q "TWO-TWO" "$T/tcp" || fail "tcp client: $(cat "$T/tcp")"
waitfor "tcp 192.0.2.1:9009 << up 10b down 10b" 5 || fail "no tcp flow line"
grep -E "^  [0-9:.]+ tcp [0-9]+ " "$T/dump.out" | sed 's/^  [0-9:.]* //' \
    >"$T/chunks"
printf '%s\n' "client -> server chunk 3b one" "server -> client chunk 3b ONE" \
    "client -> server chunk 7b two-two" "server -> client chunk 7b TWO-TWO" \
    >"$T/want"
sed 's/^tcp [0-9]* //' "$T/chunks" | cmp -s - "$T/want" ||
	fail "tcp chunks: $(cat "$T/chunks")"
ok "a raw tcp flow's chunks, in order, with sizes"

# A UDP client that stays: its flow is out at the reply, not at 60 s idle.
bgcg timeout 20 $PY -c '
import socket, time
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.connect(("192.0.2.1", 7777))
u.send(b"ping!")
print(u.recv(100).decode(), flush=True)
time.sleep(15)
' >"$T/udp" 2>&1
UDP_PID=$p
SRV_PIDS="$SRV_PIDS $UDP_PID"
waitfor "udp 192.0.2.1:7777 << up 5b down 5b" 5 ||
	fail "udp flow not printed at its reply: $(cat "$T/udp")"
grep -q "udp [0-9]* client -> server datagram 5b ping!" "$T/dump.out" ||
	fail "the udp datagram lines"
grep -q "udp [0-9]* server -> client datagram 5b ping!" "$T/dump.out" ||
	fail "the udp reply's line"
ok "a udp flow printed at its first reply, with its datagrams"
kill $UDP_PID 2>/dev/null

# DNS: name, type, rcode and answers on the flow's line.
incg timeout 10 dig +short +tries=1 +time=3 @192.0.2.1 A www.test.trawl \
    >"$T/dig1" 2>&1
grep -q "^192.0.2.80$" "$T/dig1" || fail "dig: $(cat "$T/dig1")"
waitfor "dns 192.0.2.1:53 A www.test.trawl << NOERROR 192.0.2.80 " 5 ||
	fail "no DNS line for the A query"
incg timeout 10 dig +tries=1 +time=3 @192.0.2.1 A nope.test.trawl \
    >"$T/dig2" 2>&1
grep -q "status: NXDOMAIN" "$T/dig2" || fail "dig nxdomain: $(cat "$T/dig2")"
waitfor "dns 192.0.2.1:53 A nope.test.trawl << NXDOMAIN [0-9]" 5 ||
	fail "no NXDOMAIN line"
ok "DNS flows print name, type, rcode and answers"

# DNS over TCP: the same DNS flow, from the length-prefixed messages.
incg timeout 10 dig +tcp +short +tries=1 +time=3 @192.0.2.1 AAAA \
    alias.test.trawl >"$T/dig3" 2>&1
grep -q "^2001:db8::80$" "$T/dig3" || fail "dig +tcp: $(cat "$T/dig3")"
waitfor "dns 192.0.2.1:53 AAAA alias.test.trawl << NOERROR www.test.trawl 2001:db8::80 " 5 ||
	fail "no DNS flow from DNS over TCP"
waitfor "tcp 192.0.2.1:53 << up" 5 || fail "no tcp flow for DNS over TCP"
ok "DNS over TCP becomes a DNS flow"

# The UDP flow printed at its reply is not printed again when nothing
# moved since.
stop_trawl TERM
[ "$(grep -c "udp 192.0.2.1:7777 << up" "$T/dump.out")" = 1 ] ||
	fail "the udp flow printed again: $(grep "udp 192.0.2.1:7777" "$T/dump.out")"
ok "an unchanged udp flow is printed once"

# The chunks go into the HAR file, and come back from it as chunks.
$PY - "$T/flows.har" <<'PYEOF' || fail "tcp chunks in the HAR"
import base64, json, sys
es = [e for e in json.load(open(sys.argv[1]))["log"]["entries"]
      if e.get("_type") == "tcp"]
# Chunks are binary (opcode 0): their data is base64.
ms = [(m["type"], base64.b64decode(m["data"]))
      for m in es[0].get("_webSocketMessages", [])]
assert ms == [("send", b"one"), ("receive", b"ONE"), ("send", b"two-two"),
              ("receive", b"TWO-TWO")], ms
PYEOF
timeout 10 "$TRAWL" -n -r "$T/flows.har" --dump --dump-messages </dev/null >"$T/reread" 2>&1
grep -q "tcp [0-9]* server -> client chunk 7b TWO-TWO" "$T/reread" ||
	fail "chunks read back: $(cat "$T/reread")"
ok "a raw flow's chunks in the HAR and read back"
