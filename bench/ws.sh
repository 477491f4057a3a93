#!/bin/sh
# ws.sh -- WebSocket through trawl's regular mode (CONNECT, messages parsed
# and kept on the flow) beside a direct connection and mitmdump, in one
# run, on 127.0.0.1 with python3-websockets on both ends: round trips/s of
# 100-byte messages and MB/s of 1 MiB messages echoed (median of three).
# The client and server are Python, so the direct figure is their own
# ceiling. Prints a Markdown table. Called by bench/run.sh.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
TRAWL=$(pwd)/$BUILD/trawl
TMP=$(mktemp -d /tmp/trawl-bench-ws.XXXXXX)
PIDS=
trap 'for p in $PIDS; do kill $p 2>/dev/null; done; rm -rf "$TMP"' EXIT
PY=/usr/bin/python3
$PY -c 'import websockets' 2>/dev/null ||
	{ echo "| WebSocket: python3-websockets missing |"; exit 1; }

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_port() {
	i=0
	while ! python3 -c "import socket; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 100 ] && return 1; sleep 0.1
	done
}
# median of three runs: "RTT MBS"
run3() { # PROXYPORT|-
	for i in 1 2 3; do $PY bench/ws-bench.py "ws://127.0.0.1:$WP/echo" "$1"; done |
	    sort -n -k1 | sed -n 2p | cut -d' ' -f1 >"$TMP/rtt"
	for i in 1 2 3; do $PY bench/ws-bench.py "ws://127.0.0.1:$WP/echo" "$1"; done |
	    sort -n -k2 | sed -n 2p | cut -d' ' -f2 >"$TMP/mbs"
	echo "$(cat "$TMP/rtt") $(cat "$TMP/mbs")"
}

WP=$(free_port); TP=$(free_port); MP=$(free_port)
$PY tests/e2e/wspeer.py server "$WP" >/dev/null 2>&1 &
PIDS="$PIDS $!"
XDG_CONFIG_HOME=$TMP/config "$TRAWL" --mode "regular@$TP" --dump -q \
    </dev/null >/dev/null 2>&1 &
PIDS="$PIDS $!"
wait_port "$WP" && wait_port "$TP" || { echo "| WebSocket: no server |"; exit 1; }
d=$(run3 -); t=$(run3 "$TP")
m="- -"
if command -v mitmdump >/dev/null; then
	HOME=$TMP mitmdump -q --listen-host 127.0.0.1 -p "$MP" \
	    >/dev/null 2>&1 &
	PIDS="$PIDS $!"
	wait_port "$MP" && m=$(run3 "$MP")
fi
ratio() { python3 -c "print('%.2f' % ($1 / $2))" 2>/dev/null || echo "?"; }
set -- $d $t $m
echo "| measure | direct | trawl | trawl/direct | mitmdump |"
echo "| --- | ---: | ---: | ---: | ---: |"
echo "| WebSocket round trips/s, 100-byte messages | $1 | $3 | $(ratio $3 $1) | $5 |"
echo "| WebSocket MB/s, 1 MiB messages echoed | $2 | $4 | $(ratio $4 $2) | $6 |"
