#!/bin/sh
# local-errors.sh -- why local mode could not start is said once: the
# redirector's reason reaches the user through trawl ("trawl:
# trawl-redirector: ..."), not a second time from the redirector itself;
# for a cgroup that does not exist (the redirector's setup fails) and for
# a directory that is no cgroup.
[ -n "${LOCAL_E2E_TIMED:-}" ] || LOCAL_E2E_TIMED=1 exec timeout -k 5 60 sh "$0" "$@"
. "$(dirname "$0")/local-common.inc"

# try CGROUP: trawl in netns A with that --cgroup; its stderr in $T/err.
try() {
	ina timeout 10 "$TRAWL" --mode local:curl --cgroup "$1" --dump \
	    </dev/null >"$T/out" 2>"$T/err"
	rc=$?
	[ $rc -ne 0 ] && [ $rc -ne 124 ] || fail "trawl with --cgroup $1: exit $rc"
}
once() { # TEXT: in $T/err exactly once, printed by trawl
	n=$(grep -c -F -- "$1" "$T/err")
	[ "$n" = 1 ] || { sed 's/^/  err| /' "$T/err"; fail "'$1' printed $n times"; }
	grep -F -- "$1" "$T/err" | grep -q '^trawl: ' ||
		fail "'$1' not printed by trawl"
}

try "$CG2/trawl-no-such-cgroup$$"
once "cgroup $CG2/trawl-no-such-cgroup$$: No such file or directory"
ok "a missing cgroup is reported once"

mkdir "$T/plain" || fail mkdir
try "$T/plain"
once "$T/plain is not a cgroup v2 directory"
ok "a directory that is no cgroup is reported once"
echo PASS
