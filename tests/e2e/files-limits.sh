#!/bin/sh
# files-limits.sh -- trawl raises its soft RLIMIT_NOFILE to the hard limit
# at start: under Debian's soft 1024 it could hold only about 1,000
# connections. Started with 1024:8192, it holds 1,500 client connections
# and still answers a new one.
. "$(dirname "$0")/lib.sh"

OP=$(free_port); PP=$(free_port)
start_origin "$OP"
prlimit --nofile=1024:8192 "$TRAWL" --mode "regular@$PP" --dump -q \
    </dev/null >"$TMP/dump.out" 2>"$TMP/dump.err" &
TRAWL_PID=$!
cleanup_add "kill $TRAWL_PID"
wait_port 127.0.0.1 "$PP" || exit 1
eq "the soft limit is raised to the hard limit" \
    "$(awk '/^Max open files/ {print $4, $5}' "/proc/$TRAWL_PID/limits")" "8192 8192"

# 1,500 connections that each sent a request and were answered (so they
# are past any head deadline), held open; then one more.
prlimit --nofile=4096:4096 python3 - "$PP" "$OP" >"$TMP/held" 2>&1 <<'PY'
import socket, sys
pp, op = int(sys.argv[1]), sys.argv[2]
req = ("GET http://127.0.0.1:%s/len/0 HTTP/1.1\r\nHost: x\r\n\r\n" % op).encode()
def ask(s):
    s.sendall(req)
    got = b""
    while b"\r\n\r\n" not in got:
        b = s.recv(65536)
        if not b:
            return False
        got += b
    return got.startswith(b"HTTP/1.1 200")
socks, ok = [], 0
for i in range(1500):
    s = socket.create_connection(("127.0.0.1", pp), timeout=10)
    socks.append(s)
    try:
        ok += ask(s)
    except OSError:
        pass
print("answered", ok)
s = socket.create_connection(("127.0.0.1", pp), timeout=10)
try:
    print("one more", "ok" if ask(s) else "refused")
except OSError as e:
    print("one more", e)
PY
contains "1,500 held connections were all answered" "$TMP/held" "answered 1500"
contains "and one more after them" "$TMP/held" "one more ok"
finish
