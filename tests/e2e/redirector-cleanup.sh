#!/bin/sh
# redirector-cleanup.sh -- trawl-redirector undoes everything it did: after
# trawl (here tunpeer) is SIGKILLed, or the redirector gets SIGTERM, no BPF
# link, tun, IPv6 rule or changed sysctl remains and a captured client
# reaches its server directly again. Also: a stale rule left by a killed
# redirector is removed at start, and a strict rp_filter is loosened (2) while
# running and restored after.
[ -n "$RD_E2E_TIMED" ] || RD_E2E_TIMED=1 exec timeout -k 5 60 sh "$0" "$@"
. "$(dirname "$0")/redirector-common.inc"

ip netns exec $B python3 -m http.server --bind 192.0.2.1 8080 \
    >/dev/null 2>&1 &
SRV_PIDS=$!

direct() { incg $A curl -s -m 2 -o /dev/null "http://192.0.2.1:8080/"; }
nsctl() { nsenter --net=/run/netns/$A "$@"; }
sysv() { nsctl cat "/proc/sys/net/$1"; }

i=0
until direct; do
	i=$((i + 1)); [ $i -gt 40 ] && fail "test server did not start"
	sleep 0.05
done

# A strict rp_filter, and a rule left behind by a killed redirector.
nsctl sh -c 'echo 1 > /proc/sys/net/ipv4/conf/all/rp_filter'
ip -n $A -6 rule add pref 29810 oif trawlstale lookup $((0x74720063)) ||
	fail "planting a stale rule"

start() {
	: >"$T/out"
	nsenter --net=/run/netns/$A "$BUILD/tunpeer" --redirector \
	    "$BUILD/trawl-redirector" --cgroup "$CG" curl \
	    <"$T/in" >"$T/out" 2>&1 &
	PEER=$!
	waitfor '^ready' || fail "tunpeer did not start"
	TUN=$(awk '/^ready/ { print $2 }' "$T/out")
	RD=$(cat /proc/$PEER/task/*/children | awk '{ print $1 }')
	[ -n "$RD" ] || fail "no redirector process"
	bpftool cgroup show "$CG" | grep -q rd_sock_create || fail "not attached"
	[ "$(sysv ipv4/conf/all/rp_filter)" = 2 ] || fail "strict all.rp_filter not loosened to 2"
	[ "$(sysv ipv4/conf/$TUN/rp_filter)" = 0 ] || fail "tun rp_filter"
	[ "$(sysv ipv4/conf/$TUN/accept_local)" = 1 ] || fail "accept_local"
	[ "$(sysv ipv4/conf/$TUN/route_localnet)" = 1 ] || fail "route_localnet"
	[ "$(sysv ipv6/conf/$TUN/router_solicitations)" = 0 ] ||
		fail "router_solicitations"
	ip -n $A link show "$TUN" | grep -q MULTICAST && fail "tun multicast on"
	ip -n $A -6 rule | grep -q "oif $TUN lookup" || fail "no IPv6 rule"
	# Captured: the SYN goes to the tun and nobody answers.
	incg $A curl -s -m 0.5 -o /dev/null "http://192.0.2.1:8080/" &&
	    fail "captured curl reached the server"
	waitfor "dst=192.0.2.1:8080 " || fail "curl not captured"
}

# alive PID: running, not a zombie (this machine's init reaps lazily).
alive() {
	[ -r "/proc/$1/stat" ] && ! awk '{ exit $3 != "Z" }' "/proc/$1/stat"
}
# gone WHAT: within a second everything is back as it was.
gone() {
	i=0
	while alive "$RD"; do
		i=$((i + 1)); [ $i -gt 20 ] && fail "$1: redirector still runs"
		sleep 0.05
	done
	bpftool cgroup show "$CG" | grep -q rd_ && fail "$1: link left"
	ip -n $A link show "$TUN" >/dev/null 2>&1 && fail "$1: tun left"
	ip -n $A -6 rule | grep -q 29810 && fail "$1: IPv6 rule left"
	[ "$(sysv ipv4/conf/all/rp_filter)" = 1 ] ||
		fail "$1: all.rp_filter not restored"
	direct || fail "$1: curl does not reach the server directly"
}

mkfifo "$T/in" || fail mkfifo
exec 7<>"$T/in"

start
ip -n $A -6 rule | grep -q trawlstale && fail "stale rule not removed"
kill -9 "$PEER"
wait "$PEER" 2>/dev/null
PEER=
gone "after SIGKILL of trawl"

start
kill -TERM "$RD"
waitfor "redirector gone" || fail "tunpeer did not notice"
gone "after SIGTERM of the redirector"
wait "$PEER" 2>/dev/null
PEER=

echo "PASS"
