#!/bin/sh
# Regular mode on bad input and failing peers: 400s, 502s, tunnels,
# clients that leave, and descriptors that come back.
. "$(dirname "$0")/lib.sh"

OP=$(free_port); PP=$(free_port); DEAD=$(free_port)
start_origin "$OP"
start_trawl --mode "regular@$PP" --dump
wait_port 127.0.0.1 "$PP" || exit 1
O=http://127.0.0.1:$OP
X="-x http://127.0.0.1:$PP"

# Sends raw bytes to the proxy, prints the status line it answers.
raw() {
	python3 - "$PP" "$1" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(sys.argv[2].encode().decode("unicode_escape").encode("latin1"))
data = b""
try:
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
except socket.timeout:
    print("TIMEOUT")
print(data.split(b"\r\n")[0].decode("latin1"))
PY
}

baseline=$(fd_count "$TRAWL_PID")

eq "malformed request line gets 400" "$(raw 'GARBAGE\r\n\r\n')" "HTTP/1.1 400 Bad Request"
eq "Content-Length with Transfer-Encoding gets 400" \
    "$(raw "POST $O/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")" \
    "HTTP/1.1 400 Bad Request"
eq "differing duplicate Content-Length gets 400" \
    "$(raw "POST $O/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd")" \
    "HTTP/1.1 400 Bad Request"
eq "obs-fold gets 400" \
    "$(raw "GET $O/len/1 HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n")" \
    "HTTP/1.1 400 Bad Request"
eq "origin-form request to the proxy gets 400" \
    "$(raw "GET / HTTP/1.1\r\nHost: 127.0.0.1:$OP\r\n\r\n")" "HTTP/1.1 400 Bad Request"
eq "chunked body with a bad size gets 400" \
    "$(raw "POST $O/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")" \
    "HTTP/1.1 400 Bad Request"

eq "unknown host gets 502" "$(curl -s -o /dev/null -w '%{http_code}' $X http://no-such-host.invalid/)" "502"
eq "refused upstream gets 502" "$(curl -s -o /dev/null -w '%{http_code}' $X http://127.0.0.1:$DEAD/)" "502"
eq "upstream reset gets 502" "$(curl -s -o /dev/null -w '%{http_code}' $X "$O/reset")" "502"
eq "malformed response gets 502" "$(curl -s -o /dev/null -w '%{http_code}' $X "$O/garbage")" "502"

# CONNECT: HTTP inside a tunnel is still parsed as HTTP...
got=$(curl -s -p $X "$O/len/1000" | sha256sum)
want=$(curl -s "$O/len/1000" | sha256sum)
eq "CONNECT tunnel carries the bytes" "$got" "$want"
# ...anything else is a raw tunnel, a TCP flow with byte counts.
python3 - "$PP" "$OP" >"$TMP/rawtun" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(("CONNECT 127.0.0.1:%s HTTP/1.1\r\n\r\n" % sys.argv[2]).encode())
assert s.recv(4096).startswith(b"HTTP/1.1 200")
s.sendall(b"\x00\x01 not http at all\r\n\r\n")
data = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    data += b
print(data.split(b"\r\n")[0].decode())
PY
contains "raw bytes reach the server through the tunnel" "$TMP/rawtun" "400"
eq "CONNECT to a refused port gets 502" "$(curl -s -p -o /dev/null -w '%{http_connect}' $X http://127.0.0.1:$DEAD/)" "502"
# A failed CONNECT reads as one in the dump, with its error (it once
# printed as "tcp http://host:port" that moved no bytes).
contains "a refused CONNECT reads as one in the dump" "$TMP/dump.out" \
    "CONNECT 127.0.0.1:$DEAD << failed"
contains "with its error" "$TMP/dump.out" \
    "error: cannot connect to 127.0.0.1:$DEAD: Connection refused"
curl -s -p -o /dev/null $X http://nowhere.invalid:444/
contains "an unresolvable CONNECT too" "$TMP/dump.out" \
    "CONNECT nowhere.invalid:444 << failed"
check "no failed CONNECT prints as a tcp flow" \
    sh -c "! grep -q ' tcp http://' '$TMP/dump.out'"

# A client that leaves in the middle of a download.
curl -s $X "$O/len/1073741824" -o /dev/null --limit-rate 1M &
CURL=$!
sleep 1
kill $CURL; wait $CURL 2>/dev/null
sleep 0.5

sleep 0.5
D=$TMP/dump.out
contains "400 is recorded with its error" "$D" "error: malformed request head"
contains "smuggling shape is recorded" "$D" "error: bad request: both Content-Length and Transfer-Encoding"
contains "DNS failure is recorded, no response" "$D" "GET http://no-such-host.invalid/ << - 0b"
contains "refused upstream is recorded" "$D" "Connection refused"
contains "reset upstream is recorded" "$D" "GET $O/reset << - 0b"
contains "tunnel is a tcp flow with bytes both ways" "$D" "tcp 127.0.0.1:$OP << up"
contains "client that left is recorded" "$D" "client disconnected"
check "the 502s trawl made are not recorded as responses" sh -c "! grep -q '<< 502' '$D'"

# Descriptors come back once clients are done (idle upstreams excepted).
pids=
for i in 1 2 3 4 5 6 7 8 9 10; do
	curl -s $X "$O/len/100" -o /dev/null &
	pids="$pids $!"
done
wait $pids
sleep 0.5
now=$(fd_count "$TRAWL_PID")
clients=$(ss -tnH state established "( sport = :$PP )" | wc -l)
eq "no client connection is left open" "$clients" "0"
# What may stay: the idle upstreams kept for reuse (one per parallel
# client at most) and the resolver's wake-up descriptor.
check "descriptors return to the baseline ($baseline, now $now)" [ "$now" -le $((baseline + 10 + 1)) ]
# Garbage of every shape from many clients: trawl answers or closes, and
# keeps serving.
python3 - "$PP" "$OP" <<'PY'
import random, socket, sys
random.seed(7)
o = "http://127.0.0.1:%s" % sys.argv[2]
shapes = [
    lambda: bytes(random.getrandbits(8) for _ in range(random.randint(1, 3000))),
    lambda: ("GET %s/len/10 HTTP/1.1\r\n" % o).encode() + b"X: " + b"a" * random.randint(1, 70000),
    lambda: ("POST %s/echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" % o).encode()
            + bytes(random.getrandbits(8) for _ in range(200)),
    lambda: ("GET %s/len/10 HTTP/1.1\r\n\r\n" % o).encode() * random.randint(1, 40),
    lambda: b"CONNECT " + bytes(random.getrandbits(8) for _ in range(50)) + b" HTTP/1.1\r\n\r\n",
    lambda: ("GET %s/len/%d HTTP/1.1\r\n\r\n" % (o, random.randint(0, 10**6))).encode()[:random.randint(1, 60)],
]
for i in range(300):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
    try:
        s.sendall(random.choice(shapes)())
        if random.random() < 0.5:
            s.recv(100)
    except Exception:
        pass
    s.close()
PY
eq "still serving after 300 garbage clients" "$(curl -s -o /dev/null -w '%{http_code}' $X "$O/len/10")" "200"
check "trawl is still alive" kill -0 "$TRAWL_PID"
finish
