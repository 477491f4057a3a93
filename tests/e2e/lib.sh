# lib.sh -- shared by the end-to-end tests: ports, processes, cleanup,
# assertions. Source it; then call `cleanup_add CMD` for each thing to undo.
set -u
TRAWL=${TRAWL:-$(pwd)/build/trawl}
# The regular-mode and screen tests run the sanitizer build when there is
# one (local mode's bulk transfers would be too slow under it).
case $0 in
*/regular-*|*/tui/*)
	[ -n "${TRAWL_ASAN:-}" ] && [ -x "$TRAWL_ASAN" ] && TRAWL=$TRAWL_ASAN ;;
esac
HERE=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d /tmp/trawl-test.XXXXXX)
# trawl's CA (created at its first start) stays inside the test's folder.
XDG_CONFIG_HOME=$TMP/config
export XDG_CONFIG_HOME
# A tmux server of the test's own: tests run side by side, and a shared
# server would start every screen with the first test's environment.
TMUX_TMPDIR=$TMP
export TMUX_TMPDIR
unset TMUX
CLEANUP=""
FAILS=0

cleanup_add() { CLEANUP="$1; $CLEANUP"; }
cleanup() {
	eval "$CLEANUP" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE

# A TCP port nobody listens on now, and not one this test was given
# before (the kernel may hand the same free port out twice in a row).
# Kept in a file: free_port runs in $(...), a subshell.
free_port() {
	while :; do
		fp=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
		grep -qx "$fp" "$TMP/ports" 2>/dev/null && continue
		echo "$fp" >>"$TMP/ports"
		echo "$fp"
		return
	done
}

# Waits until something listens on host:port (5 s at most).
wait_port() {
	i=0
	while ! python3 -c "import socket,sys; socket.create_connection(('$1',$2),0.2)" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 50 ] && { echo "nothing listens on $1:$2"; return 1; }
		sleep 0.1
	done
}

start_origin() { # PORT -> $ORIGIN_PID
	python3 "$HERE/origin.py" "$1" >"$TMP/origin.log" 2>&1 &
	ORIGIN_PID=$!
	cleanup_add "kill $ORIGIN_PID"
	wait_port 127.0.0.1 "$1"
}

# Standard input comes from $TRAWL_STDIN (a background job would get
# /dev/null otherwise).
start_trawl() { # ARGS... -> $TRAWL_PID, output in $TMP/dump.out
	"$TRAWL" "$@" <"${TRAWL_STDIN:-/dev/null}" >"$TMP/dump.out" 2>"$TMP/dump.err" &
	TRAWL_PID=$!
	cleanup_add "kill $TRAWL_PID"
}

stop_trawl() {
	kill "$TRAWL_PID" 2>/dev/null
	wait "$TRAWL_PID" 2>/dev/null
	TRAWL_RC=$?
}

ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1"; FAILS=$((FAILS + 1)); }
check() { # DESCRIPTION COMMAND...
	d=$1; shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}
eq() { # DESCRIPTION GOT WANT
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1 (got '$2', want '$3')"; fi
}
# The file may still be growing (a dump line, a command's answer): give
# the text up to 3 s to show up.
contains() { # DESCRIPTION FILE TEXT
	i=0
	while ! grep -qF -- "$3" "$2" 2>/dev/null && [ $i -lt 30 ]; do
		i=$((i + 1)); sleep 0.1
	done
	if grep -qF -- "$3" "$2"; then ok "$1"; else
		not_ok "$1 ('$3' not in $2)"; sed 's/^/    /' "$2" | tail -20; fi
}
finish() {
	# A sanitizer build of trawl (TRAWL_ASAN) reports memory errors and
	# leaks on its standard error, which no other check would see.
	eval "$CLEANUP" 2>/dev/null
	CLEANUP=""
	sleep 0.5
	for e in "$TMP"/*.err "$TMP"/*.out "$TMP"/err; do
		[ -f "$e" ] || continue
		if grep -q "Sanitizer\|runtime error:" "$e"; then
			not_ok "sanitizer report in $(basename "$e")"
			grep -A12 "Sanitizer\|runtime error:" "$e" | head -40 | sed 's/^/    /'
		fi
	done
	if [ "$FAILS" = 0 ]; then echo "all passed"; exit 0; fi
	echo "$FAILS failed"; exit 1
}

# Open descriptors of a process.
fd_count() { ls "/proc/$1/fd" | wc -l; }
