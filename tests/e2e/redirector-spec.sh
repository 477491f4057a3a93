#!/bin/sh
# redirector-spec.sh -- trawl-redirector's BPF program captures exactly what
# the spec says: a SYN (or UDP datagram) shows up on the tun iff the socket's
# creator matches. tunpeer stands in for trawl and prints what the tun gets,
# with the process the redirector names for it.
#
# Topology: netns A (clients, the redirector, tunpeer; veth 192.0.2.2 and
# 2001:db8::2) and netns B (192.0.2.1, 2001:db8::1, no servers: a client
# that is not captured gets "connection refused" at once). Clients run in a
# child cgroup of the cgroup2 mount, which the program is attached to.
[ -n "$RD_E2E_TIMED" ] || RD_E2E_TIMED=1 exec timeout -k 5 60 sh "$0" "$@"
. "$(dirname "$0")/redirector-common.inc"
PY=$(python3 -c 'import sys; print(sys.executable)')
n=0
# ctl LINE: send a command to tunpeer and wait for its answer line.
ctl() {
	echo "$1" >&7
	n=$((n + 1))
	i=0
	while [ "$(grep -c -E '^(spec ok|spec error|pong)' "$T/out")" -lt $n ]; do
		i=$((i + 1)); [ $i -gt 60 ] && fail "no answer to $1"; sleep 0.05
	done
}
spec() { ctl "spec $1"; tail -n 1 "$T/out" | grep -q '^spec ok' ||
	fail "spec '$1' refused"; }
# captured PORT / notcaptured PORT: after the client ran.
captured() { waitfor "dst=[^ ]*:$1 " || fail "$2: port $1 not captured"; }
notcaptured() {
	ctl ping
	grep -q "dst=[^ ]*:$1 " "$T/out" && fail "$2: port $1 captured"
	return 0
}
curl4() { incg $A curl -s -m 0.5 "http://192.0.2.1:$1/" >/dev/null 2>&1; }
wget4() { incg $A wget -q -T 1 -t 1 "http://192.0.2.1:$1/" >/dev/null 2>&1; }

cat >"$T/client.py" <<'EOF'
# client.py LEADER WORKER PROTO PORT DIR: name the main thread LEADER, write
# the pid, wait for DIR/go, then from a thread named WORKER open PROTO.
import ctypes, os, socket, sys, threading, time
libc = ctypes.CDLL(None)
leader, worker, proto, port, d = sys.argv[1:6]
libc.prctl(15, leader.encode(), 0, 0, 0)
with open(d + "/pid.tmp", "w") as f:
    f.write(str(os.getpid()))
os.rename(d + "/pid.tmp", d + "/pid")
while not os.path.exists(d + "/go"):
    time.sleep(0.01)
def run():
    libc.prctl(15, worker.encode(), 0, 0, 0)
    dst = ("192.0.2.1", int(port))
    if proto == "tcp":
        s = socket.socket(); s.settimeout(0.3)
        try: s.connect(dst)
        except OSError: pass
    elif proto == "udp":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(b"x", dst); time.sleep(0.3)
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.connect(dst); s.send(b"x"); time.sleep(0.3)
t = threading.Thread(target=run); t.start(); t.join()
EOF
# py LEADER WORKER PROTO PORT [SPEC-WITH-PID]: "PID" in the spec is
# replaced by the client's pid before it opens its socket.
py() {
	rm -f "$T/pid" "$T/go"
	incg $A "$PY" "$T/client.py" "$1" "$2" "$3" "$4" "$T" &
	j=$!
	i=0
	while [ ! -f "$T/pid" ]; do
		i=$((i + 1)); [ $i -gt 100 ] && fail "client.py did not start"
		sleep 0.05
	done
	PID=$(cat "$T/pid")
	[ $# -ge 5 ] && spec "$(echo "$5" | sed "s/PID/$PID/g")"
	touch "$T/go"
	wait $j
}

mkfifo "$T/in" || fail mkfifo
exec 7<>"$T/in"
nsenter --net=/run/netns/$A "$BUILD/tunpeer" --redirector \
    "$BUILD/trawl-redirector" --cgroup "$CG" curl <"$T/in" >"$T/out" 2>&1 &
PEER=$!
waitfor '^ready' || fail "tunpeer did not start"
bpftool cgroup show "$CG" | grep -q rd_sock_create || fail "not attached"

# local:curl captures curl and not wget, and names the process.
curl4 8001; captured 8001 "curl"
grep "dst=192.0.2.1:8001 " "$T/out" | grep -q "comm=curl leader=curl" ||
	fail "curl's flow not attributed"
wget4 8002; notcaptured 8002 "wget under curl"
incg $A curl -s -m 0.5 "http://[2001:db8::1]:8003/" >/dev/null 2>&1
captured 8003 "curl IPv6"
grep -q "syn tcp6 dst=2001:db8::1:8003 " "$T/out" || fail "IPv6 SYN"

# local:!curl: the opposite.
spec '!curl'
curl4 8011; notcaptured 8011 "curl under !curl"
wget4 8012; captured 8012 "wget under !curl"

# Order: the first item decides the start; later items win.
spec '!curl,curl'
curl4 8021; captured 8021 "curl under !curl,curl"
wget4 8022; captured 8022 "wget under !curl,curl"
spec 'curl,!curl'
curl4 8023; notcaptured 8023 "curl under curl,!curl"

# A pid spec, with the connect made by a worker thread; excluded likewise.
py trawlleader trawlworker tcp 8031 'PID'
captured 8031 "pid spec, worker thread"
grep "dst=192.0.2.1:8031 " "$T/out" | grep -q \
    "pid=$PID comm=trawlworker leader=trawlleader" || fail "pid attribution"
py trawlleader trawlworker tcp 8032 'curl,!PID'
notcaptured 8032 "curl,!pid"
py trawlleader trawlworker tcp 8033 '!PID'
notcaptured 8033 "!pid"

# A renamed thread is caught through its leader's comm, and by its own.
spec trawlleader
py trawlleader trawlworker tcp 8041; captured 8041 "leader comm"
spec trawlworker
py trawlleader trawlworker tcp 8042; captured 8042 "thread comm"
spec '!trawlleader'
py trawlleader trawlworker tcp 8043; notcaptured 8043 "!leader comm"

# UDP: sendto() and connected sockets, both attributed.
spec trawlleader
py trawlleader trawlworker udp 8051; captured 8051 "UDP sendto"
grep "dst=192.0.2.1:8051 " "$T/out" | grep -q "pid=$PID comm=trawlworker" ||
	fail "UDP sendto attribution"
py trawlleader trawlworker udpc 8052; captured 8052 "connected UDP"
grep "dst=192.0.2.1:8052 " "$T/out" | grep -q "pid=$PID comm=trawlworker" ||
	fail "connected UDP attribution"

# Everything, but not a process of another netns inside the cgroup.
spec ''
curl4 8061; captured 8061 "local (everything)"
out=$(incg $B curl -v -sS -m 1 "http://192.0.2.1:8062/" 2>&1)
echo "$out" | grep -q "Connection refused" ||
	fail "other netns affected: $out"
notcaptured 8062 "other netns"

# Bad specs are refused and leave the old one in place.
ctl "spec curl,"; tail -n 1 "$T/out" | grep -q "trailing comma at column 5" ||
	fail "trailing comma accepted"
ctl "spec $(seq -s, 1 65)"; tail -n 1 "$T/out" | grep -q "more than 64" ||
	fail "65 rules accepted"
# Pids no process has (above pid_max here; low ones collided with
# the wget below on a fresh machine).
spec "$(seq -s, 4190000 4190063)"
wget4 8071; notcaptured 8071 "64 pid rules"
spec "$(seq -s, 1000 1062),wget"
wget4 8072; captured 8072 "64th rule"

echo "PASS"
