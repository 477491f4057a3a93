#!/bin/sh
# local-rename.sh -- a spec name matches the basename of the process's
# executable as well as its comm, so a program that renames itself stays
# captured: python renaming its only thread with prctl(PR_SET_NAME) is
# caught by its executable's name (python3.11, the file /usr/bin/python3
# resolves to) and by its new comm; node whose process.title is "npm view
# expres" (npm's) by local:node; curl started through a symlink (comm
# "fetcher", executable curl) by either name, a copy of curl with a name
# longer than 15 bytes by that name; and neither by a name it does not
# have.
[ -n "${LOCAL_E2E_TIMED:-}" ] || LOCAL_E2E_TIMED=1 exec timeout -k 5 90 sh "$0" "$@"
. "$(dirname "$0")/local-common.inc"

PY=$(readlink -f /usr/bin/python3)
EXE=${PY##*/}
[ -x "$PY" ] && [ "$EXE" != python3 ] ||
	fail "/usr/bin/python3 is no symlink to a versioned python"
NODE=$(command -v node) || fail "node missing (make deps: nodejs)"
NODE_EXE=$(readlink -f "$NODE"); NODE_EXE=${NODE_EXE##*/}
cat >"$T/rename.py" <<'EOF'
# rename.py NAME URL: renames the thread (comm) to NAME, then fetches URL.
import ctypes, sys, urllib.request
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(15, sys.argv[1].encode(), 0, 0, 0) != 0:   # PR_SET_NAME
    raise SystemExit("prctl failed")
assert open("/proc/self/comm").read().strip() == sys.argv[1]
urllib.request.urlopen(sys.argv[2], timeout=3).read()
EOF
ln -s "$(command -v curl)" "$T/fetcher" || fail "symlink"
# A curl whose file name is longer than comm's 15 bytes, run as "short".
cp "$(readlink -f "$(command -v curl)")" "$T/curl-with-a-long-name" &&
    ln -s "$T/curl-with-a-long-name" "$T/short" || fail "copying curl"

start_servers
start_trawl "$EXE"

# Renamed python: its comm is "renamed-app", its executable python3.11.
bgcg "$PY" "$T/rename.py" renamed-app http://192.0.2.1/len/101
wait $p || fail "renamed python through trawl"
waitfor "renamed-app:$p GET http://192\.0\.2\.1/len/101 << 200" ||
	fail "local:$EXE missed the python that renamed itself (pid $p)"
ok "local:$EXE captures python renamed to renamed-app"
# curl through a symlink has neither name: left alone.
incg "$T/fetcher" -sS -m 3 -o /dev/null http://192.0.2.1/len/102 ||
	fail "fetcher (not captured) failed"

# Its new comm still names it; the executable's name too (an include of
# curl catches the symlinked curl by its executable).
[ "$(ctl 'spec renamed-app,curl')" = ok ] || fail "spec change refused"
bgcg "$PY" "$T/rename.py" renamed-app http://192.0.2.1/len/103
wait $p || fail "renamed python through trawl"
waitfor "renamed-app:$p GET http://192\.0\.2\.1/len/103 << 200" ||
	fail "local:renamed-app missed the renamed python (pid $p)"
ok "a spec of the new comm still captures it"
bgcg "$T/fetcher" -sS -m 3 -o /dev/null http://192.0.2.1/len/104
wait $p || fail "fetcher through trawl"
waitfor "fetcher:$p GET http://192\.0\.2\.1/len/104 << 200" ||
	fail "local:curl missed curl run as fetcher (pid $p)"
ok "local:curl captures curl whose comm is fetcher"
[ "$(ctl 'spec curl-with-a-long-name')" = ok ] || fail "spec change refused"
bgcg "$T/short" -sS -m 3 -o /dev/null http://192.0.2.1/len/108
wait $p || fail "short through trawl"
waitfor "short:$p GET http://192\.0\.2\.1/len/108 << 200" ||
	fail "local:curl-with-a-long-name missed its executable (pid $p)"
ok "a long executable name matches on its first 15 bytes"

# The issue's case: node setting process.title (npm does) renames its
# main thread, which makes the HTTP socket; local:node still has it.
[ "$(ctl "spec $NODE_EXE")" = ok ] || fail "spec $NODE_EXE refused"
bgcg "$NODE" -e '
process.title = "npm view expres";
require("http").get("http://192.0.2.1/len/107", r => r.resume());'
wait $p || fail "renamed node through trawl"
waitfor "npm view expres:$p GET http://192\.0\.2\.1/len/107 << 200" ||
	fail "local:$NODE_EXE missed node titled 'npm view expres' (pid $p)"
ok "local:$NODE_EXE captures node whose process.title is 'npm view expres'"

# Excluding the executable's name wins over the comm it took.
[ "$(ctl "spec !$EXE")" = ok ] || fail "spec !$EXE refused"
incg "$PY" "$T/rename.py" other-name http://192.0.2.1/len/105 ||
	fail "excluded python failed"
bgcg "$T/fetcher" -sS -m 3 -o /dev/null http://192.0.2.1/len/106
wait $p || fail "fetcher through trawl"
waitfor "fetcher:$p GET http://192\.0\.2\.1/len/106 << 200" ||
	fail "!$EXE missed curl"
ok "!$EXE leaves the renamed python alone, captures the rest"

stop_trawl TERM
absent "/len/102" || fail "fetcher was captured under local:$EXE"
absent "/len/105" || fail "the python was captured under !$EXE"
ok "names a process does not have capture nothing"
echo PASS
