#!/bin/sh
# local-cleanup.sh -- local:!curl captures everyone but curl; and after
# SIGTERM, and after SIGKILL, of trawl no BPF link, tun, IPv6 rule or
# changed sysctl remains, and the same curl reaches its server directly.
[ -n "${LOCAL_E2E_TIMED:-}" ] || LOCAL_E2E_TIMED=1 exec timeout -k 5 60 sh "$0" "$@"
. "$(dirname "$0")/local-common.inc"

sysv() { ina cat "/proc/sys/net/$1"; }
# A strict rp_filter, which the redirector must lower and restore.
ina sh -c 'echo 1 > /proc/sys/net/ipv4/conf/all/rp_filter'
start_servers

# everything_gone HOW: within two seconds of trawl's end.
everything_gone() {
	i=0
	while bpftool cgroup show "$CG" | grep -q rd_ ||
	    ip -n $A link show "$TUN" >/dev/null 2>&1 ||
	    ip -n $A -6 rule | grep -q 29810; do
		i=$((i + 1))
		if [ $i -gt 40 ]; then
			bpftool cgroup show "$CG" | grep -q rd_ &&
				fail "$1: BPF link left"
			ip -n $A link show "$TUN" >/dev/null 2>&1 &&
				fail "$1: $TUN left"
			fail "$1: IPv6 rule left"
		fi
		sleep 0.05
	done
	[ "$(sysv ipv4/conf/all/rp_filter)" = 1 ] ||
		fail "$1: all.rp_filter not restored"
	incg curl -sS -m 2 -o /dev/null http://192.0.2.1/len/10 ||
		fail "$1: curl does not reach the server directly"
	incg curl -sS -m 2 -o /dev/null 'http://[2001:db8::1]/len/10' ||
		fail "$1: curl does not reach the server over IPv6 directly"
	ok "$1: nothing left, curl reaches the server directly"
}

start_trawl '!curl'
bpftool cgroup show "$CG" | grep -q rd_ || fail "not attached to $CG"
[ "$(sysv ipv4/conf/all/rp_filter)" = 2 ] || fail "strict all.rp_filter not loosened to 2"
bgcg wget -q -T 3 -t 1 -O /dev/null http://192.0.2.1/len/600
wait $p || fail "wget through trawl"
waitfor "wget:$p GET http://192\.0\.2\.1/len/600 << 200" ||
	fail "local:!curl did not capture wget"
incg curl -sS -m 3 -o /dev/null http://192.0.2.1/len/601 || fail "curl"
absent "/len/601" || fail "local:!curl captured curl"
ok "local:!curl captures wget, not curl"
stop_trawl TERM
everything_gone SIGTERM

start_trawl curl
bgcg curl -sS -m 3 -o /dev/null http://192.0.2.1/len/602
wait $p || fail "curl through trawl"
waitfor "curl:$p GET http://192\.0\.2\.1/len/602 << 200" ||
	fail "curl not captured"
stop_trawl KILL
everything_gone SIGKILL
echo PASS
