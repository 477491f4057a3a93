#!/bin/sh
# security-reset.sh -- a captured download never hangs: whatever dies by
# SIGKILL, trawl, trawl-redirector or both, the downloading curl sees its
# connection end with an error at once (the redirector, or its watchdog
# when the redirector itself is gone, destroys every socket bound to the
# tun), long before curl's own timeout; and the tun, the IPv6 rule and the
# BPF link are gone after each. Last, the same for a user's trawl whose
# redirector runs through sudo.
[ -n "${LOCAL_E2E_TIMED:-}" ] || LOCAL_E2E_TIMED=1 exec timeout -k 5 120 sh "$0" "$@"
. "$(dirname "$0")/local-common.inc"

start_servers

# redirector [PID]: trawl's trawl-redirector, a child (root's trawl) or
# a grandchild through sudo; never the watchdog (its comm differs).
redirector() {
	for c in $(cat /proc/${1:-$TRAWL_PID}/task/*/children 2>/dev/null); do
		case $(cat /proc/$c/comm 2>/dev/null) in
		trawl-redirecto) echo $c; return ;;
		sudo) redirector $c; return ;;
		esac
	done
}

# case WHAT PIDS...: a captured download at 1 MB/s of 100 MB (100 s) is
# under way; PIDS get SIGKILL; curl must fail within 10 s, not time out.
case_() {
	what=$1; shift
	rm -f "$T/dl"
	bgcg curl -sS -m 60 --limit-rate 1M -o "$T/dl" \
	    http://192.0.2.1/len/100000000 2>"$T/curl.err"
	CURL=$p
	i=0
	until [ -s "$T/dl" ]; do
		i=$((i + 1)); [ $i -gt 100 ] && fail "$what: the download did not start"
		sleep 0.05
	done
	kill -9 "$@"
	i=0
	while kill -0 $CURL 2>/dev/null &&
	    ! awk '{ exit $3 != "Z" }' /proc/$CURL/stat 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 200 ] && fail "$what: curl still hangs after 10 s"
		sleep 0.05
	done
	wait $CURL
	rc=$?
	[ $rc != 0 ] || fail "$what: curl finished a 100 MB download at 1 MB/s"
	[ $rc != 28 ] || fail "$what: curl timed out instead of seeing an error"
	ok "$what: curl sees '$(tr -d '\n' <"$T/curl.err" | cut -c1-60)' (exit $rc)"
	i=0
	while bpftool cgroup show "$CG" | grep -q rd_ ||
	    ip -n $A link show "$TUN" >/dev/null 2>&1 ||
	    ip -n $A -6 rule | grep -q 29810; do
		i=$((i + 1)); [ $i -gt 60 ] && fail "$what: capture left behind"
		sleep 0.05
	done
}

start_trawl curl
case_ "SIGKILL of trawl" $TRAWL_PID
wait $TRAWL_PID 2>/dev/null
TRAWL_PID=
exec 7>&-

start_trawl curl
RDP=$(redirector)
[ -n "$RDP" ] || fail "no trawl-redirector under trawl"
case_ "SIGKILL of trawl-redirector" $RDP
stop_trawl KILL

start_trawl curl
RDP=$(redirector)
[ -n "$RDP" ] || fail "no trawl-redirector under trawl"
case_ "SIGKILL of both" $TRAWL_PID $RDP
wait $TRAWL_PID 2>/dev/null
TRAWL_PID=
exec 7>&-

# A user's trawl, its redirector through sudo, the user's curl.
command -v sudo >/dev/null || fail "sudo missing (make deps)"
U=trawlrst$$
useradd -M -r -s /bin/sh "$U" || fail "useradd"
SUDOERS=/etc/sudoers.d/trawl-e2e-$$
trap 'rm -f "$SUDOERS"; userdel "$U" 2>/dev/null; cleanup' EXIT
printf '%s ALL=(root) NOPASSWD: %s\n' "$U" "$(pwd)/$BUILD/trawl-redirector" \
    >"$SUDOERS.tmp"
chmod 440 "$SUDOERS.tmp" && mv "$SUDOERS.tmp" "$SUDOERS"
visudo -cq -f "$SUDOERS" || fail "sudoers entry"
chmod 755 "$T"
mkdir "$T/conf" "$T/u" && chown "$U" "$T/conf" "$T/u"
TRAWL_AS=$U start_trawl curl --confdir "$T/conf"
RDP=$(redirector)
[ -n "$RDP" ] || fail "no trawl-redirector under the user's trawl"
T0=$T T=$T/u
bgcg() {
	sh -c 'cg=$1 ns=$2; shift 2; echo $$ > "$cg/cgroup.procs" &&
	    exec nsenter --net="/run/netns/$ns" setpriv --reuid="$0" \
	    --regid="$0" --init-groups "$@"' "$U" "$CG" $A "$@" &
	p=$!
}
case_ "a user's trawl: SIGKILL of both" $TRAWL_PID $RDP
T=$T0
wait $TRAWL_PID 2>/dev/null
TRAWL_PID=
exec 7>&-
echo PASS
