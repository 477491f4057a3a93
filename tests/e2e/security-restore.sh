#!/bin/sh
# security-restore.sh -- shared host settings are counted across sessions
# and journalled: with a strict net.ipv4.conf.all.rp_filter, two sessions
# (trawl-redirector under tunpeer, each on its own cgroup) in one netns;
# the first to end leaves it loosened under the second, whose captured UDP
# socket still gets its reply through the tun; SIGKILL of the second
# (tunpeer, redirector and watchdog: nothing left to undo anything) leaves
# it and the IPv6 rule behind, and the next start puts back the original
# value and removes the rule, then restores again at its end. With the
# watchdog alive, SIGKILL of tunpeer and the redirector restores at once.
[ -n "${RD_E2E_TIMED:-}" ] || RD_E2E_TIMED=1 exec timeout -k 5 90 sh "$0" "$@"
. "$(dirname "$0")/redirector-common.inc"

P1= P2= P3=
trap 'for p in $P1 $P2 $P3; do kill -9 $p 2>/dev/null; done
	for c in one two three; do
		[ -f "$CG/$c/cgroup.procs" ] || continue
		for p in $(cat "$CG/$c/cgroup.procs"); do kill -9 $p; done
		sleep 0.1; rmdir "$CG/$c"
	done; cleanup' EXIT

nsctl() { nsenter --net=/run/netns/$A "$@"; }
sysv() { nsctl cat "/proc/sys/net/$1"; }
nsctl sh -c 'echo 1 > /proc/sys/net/ipv4/conf/all/rp_filter'
ip netns exec $B python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.0.2.1", 7777))
while True:
    d, peer = s.recvfrom(100)
' &
SRV_PIDS=$!
mkdir "$CG/one" "$CG/two" "$CG/three" || fail "child cgroups"

# session N SPEC: tunpeer and its redirector on cgroup $CG/N; sets PID,
# TUN (its tun) and RDP (the redirector), output in $T/N.
session() {
	nsenter --net=/run/netns/$A "$BUILD/tunpeer" --redirector \
	    "$BUILD/trawl-redirector" --cgroup "$CG/$1" "$2" </dev/null \
	    >"$T/$1" 2>&1 &
	PID=$!
	i=0
	until grep -q '^ready' "$T/$1"; do
		i=$((i + 1)); [ $i -gt 60 ] && { cat "$T/$1"; fail "session $1"; }
		sleep 0.05
	done
	TUN=$(awk '/^ready/ { print $2 }' "$T/$1")
	TABLE=$((0x74720000 + $(awk '/^ready/ { print $3 }' "$T/$1")))
	RDP=$(cat /proc/$PID/task/*/children | awk '{ print $1 }')
	[ -n "$RDP" ] || fail "session $1: no redirector"
}
# watchdog_of PID: the redirector's watchdog child.
watchdog_of() {
	for c in $(cat /proc/$1/task/*/children 2>/dev/null); do
		[ "$(cat /proc/$c/comm)" = trawl-watchdog ] && echo $c
	done
}
# until_ CMD...: within 3 s.
until_() {
	i=0
	until "$@"; do
		i=$((i + 1)); [ $i -gt 60 ] && return 1
		sleep 0.05
	done
}
gone() { ! kill -0 "$1" 2>/dev/null || awk '{ exit $3 != "Z" }' "/proc/$1/stat"; }
# rule TABLE: a session's IPv6 rule ("oif trawlN [detached] lookup TABLE").
rule() { ip -n $A -6 rule | grep -q "lookup $1\$"; }

session one curl
P1=$PID T1=$TABLE RD1=$RDP
[ "$(sysv ipv4/conf/all/rp_filter)" = 2 ] || fail "strict rp_filter not loosened"
session two python3
P2=$PID T2=$TABLE RD2=$RDP

kill $P1
until_ gone $RD1 || fail "session one's redirector did not end"
P1=
[ "$(sysv ipv4/conf/all/rp_filter)" = 2 ] ||
	fail "the first session out restored rp_filter under the second"
rule $T1 && fail "session one's IPv6 rule left"
rule $T2 || fail "session two's IPv6 rule went with session one"
echo "ok - the first session out leaves the shared rp_filter to the second"

# Session two still captures, and a reply from the server's address
# (192.0.2.1, routed through the veth) reaches its captured socket.
sh -c 'echo $$ > "$1/cgroup.procs" && exec nsenter --net="/run/netns/$2" \
    python3 -c "
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.sendto(b\"q\", (\"192.0.2.1\", 7777))
open(sys.argv[1] + \".tmp\", \"w\").write(str(s.getsockname()[1]))
os.rename(sys.argv[1] + \".tmp\", sys.argv[1])
print(s.recv(100).decode())
" "$3"' sh "$CG/two" $A "$T/port" >"$T/reply" &
CAP=$!
until_ test -f "$T/port" || fail "captured UDP client"
grep -q "^udp udp4 dst=192.0.2.1:7777 " "$T/two" ||
	fail "session two did not capture the UDP client"
nsctl python3 tests/e2e/security-inject.py $P2 \
    "udp4 192.0.2.1 7777 10.213.0.1 $(cat "$T/port") reply" || fail inject
wait $CAP || fail "session two's captured socket got no reply (rp_filter)"
[ "$(cat "$T/reply")" = reply ] || fail "reply: $(cat "$T/reply")"
echo "ok - and its captured socket still gets replies through the tun"

# Nothing left alive to undo session two.
W2=$(watchdog_of $RD2)
[ -n "$W2" ] || fail "session two has no watchdog"
kill -9 $P2 $RD2 $W2
P2=
until_ gone $RD2 && until_ gone $W2 || fail "SIGKILL"
sleep 0.2
[ "$(sysv ipv4/conf/all/rp_filter)" = 2 ] || fail "who restored rp_filter?"
rule $T2 || fail "who removed session two's rule?"
session three curl
P3=$PID RD3=$RDP
rule $T2 && fail "the next start left the dead session's rule"
rule $TABLE || fail "session three has no IPv6 rule"
[ "$(sysv ipv4/conf/all/rp_filter)" = 2 ] || fail "session three: rp_filter"
kill $P3
until_ gone $RD3 || fail "session three's redirector did not end"
P3=
[ "$(sysv ipv4/conf/all/rp_filter)" = 1 ] ||
	fail "after a SIGKILLed session, rp_filter not restored ($(sysv ipv4/conf/all/rp_filter))"
ip -n $A -6 rule | grep -q 29810 && fail "an IPv6 rule left"
echo "ok - after a session died with nothing to undo it, the next one restores"

# SIGKILL of tunpeer and the redirector: the watchdog undoes at once.
session one curl
P1=$PID RD1=$RDP T1=$TABLE TUN1=$TUN
W1=$(watchdog_of $RD1)
[ -n "$W1" ] || fail "no watchdog"
kill -9 $P1 $RD1
P1=
until_ gone $W1 || fail "the watchdog did not finish"
[ "$(sysv ipv4/conf/all/rp_filter)" = 1 ] || fail "watchdog: rp_filter"
rule $T1 && fail "watchdog: IPv6 rule left"
ip -n $A link show $TUN1 >/dev/null 2>&1 && fail "watchdog: tun left"
echo "ok - the watchdog of a SIGKILLed redirector restores at once"
echo PASS
