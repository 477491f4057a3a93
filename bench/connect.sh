#!/bin/sh
# connect.sh -- local mode's connect latency to a server that speaks first
# (issue 13): the time from connect() to the server's banner, p50 (and
# p90) of 100 sequential connects, direct and through trawl in the same
# run, in the topology of tests/e2e/local-*.sh (client in netns A and a
# child cgroup, a Python banner server in netns B behind a veth). Prints
# a Markdown table. Needs root. Do not run it beside the tests.
LOCAL_ROOT=$(cd "$(dirname "$0")/.." && pwd)
export LOCAL_ROOT
. "$LOCAL_ROOT/tests/e2e/local-common.inc"
PY=/usr/bin/python3
N=${BENCH_CONNECTS:-100}

cat >"$T/banner.py" <<'PY'
import socket
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("192.0.2.1", 2222))
l.listen(128)
while True:
    c, _ = l.accept()
    c.sendall(b"SSH-2.0-bench\r\n")
    c.close()
PY
# "p50 p90" in microseconds of N connects (after 10 not counted).
cat >"$T/client.py" <<'PY'
import socket, sys, time
n = int(sys.argv[1])
t = []
for i in range(n + 10):
    s = socket.socket()
    a = time.perf_counter_ns()
    s.connect(("192.0.2.1", 2222))
    b = s.recv(100)
    d = time.perf_counter_ns() - a
    s.close()
    assert b.startswith(b"SSH-2.0-"), b
    if i >= 10:
        t.append(d / 1000)
t.sort()
print("%.0f %.0f" % (t[len(t) // 2], t[len(t) * 9 // 10]))
PY
inb $PY "$T/banner.py"
i=0
until ina $PY "$T/client.py" 1 >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "banner server did not start"
	sleep 0.05
done
direct=$(ina $PY "$T/client.py" "$N") || fail "direct connects"
# No dump lines (a filter only DNS flows match), but the readiness line.
start_trawl python3 "~dns"
local=$(incg $PY "$T/client.py" "$N") || fail "connects through trawl"
stop_trawl TERM

set -- $direct $local
# "+N µs", or "-N µs" when trawl's figure is the lower one (noise).
added() { echo "$1 $2" | awk '{ printf "%+d µs", $2 - $1 }'; }
echo "| $(date -u +%Y-%m-%d) \`sh bench/connect.sh\` ($N connects) | direct | local mode | added |"
echo "| --- | ---: | ---: | ---: |"
echo "| connect to banner, p50, µs | $1 | $3 | $(added $1 $3) |"
echo "| connect to banner, p90, µs | $2 | $4 | $(added $2 $4) |"
