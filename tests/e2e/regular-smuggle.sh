#!/bin/sh
# Request smuggling and response desync (issue 11, item 1): a corpus of
# ambiguous HTTP/1 messages through regular mode, as an explicit proxy
# (absolute-form) and inside CONNECT tunnels (origin-form, transparent),
# judged by an independent parser (h11) on the far side: what arrives
# parses into exactly the messages the flows record, a message trawl
# refuses reaches nobody and its flow says why. The other way, a raw
# server's ambiguous responses reach an h11 client as exactly the one
# response the flow records, and the next request gets its own answer.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3	# Debian's h11 imports only here
$PY -c 'import h11' || { not_ok "python3-h11 is not installed (make deps)"; finish; }

# One h11 server per way of reaching it, so each log holds one corpus.
RP=$(free_port); PP=$(free_port)
for mode in absolute tunnel; do
	p=$(free_port)
	eval "OP_$mode=$p"
	$PY "$HERE/smuggle.py" server 127.0.0.1 "$p" "$TMP/seen-$mode.log" \
	    2>"$TMP/server-$mode.err" &
	cleanup_add "kill $!"
	wait_port 127.0.0.1 "$p" || exit 1
done
$PY "$HERE/smuggle.py" rawserver 127.0.0.1 "$RP" 2>"$TMP/rawserver.err" &
cleanup_add "kill $!"
wait_port 127.0.0.1 "$RP" || exit 1
# The probes above were connections too: start the logs afresh.
sleep 0.2
: >"$TMP/seen-absolute.log"; : >"$TMP/seen-tunnel.log"
start_trawl --mode "regular@$PP" --dump -w "$TMP/flows.har"
wait_port 127.0.0.1 "$PP" || exit 1

# Each case on its own connection, all at once; both directions, both
# ways of reaching the server.
pids=
for mode in absolute tunnel; do
	eval "p=\$OP_$mode"
	$PY "$HERE/smuggle.py" requests $mode "127.0.0.1:$PP" "127.0.0.1:$p" \
	    "$TMP/req-$mode.json" &
	pids="$pids $!"
	$PY "$HERE/smuggle.py" responses $mode "127.0.0.1:$PP" "127.0.0.1:$RP" \
	    "$TMP/resp-$mode.json" &
	pids="$pids $!"
done
wait $pids

# Every flow is in the HAR once trawl is gone.
sleep 0.5
stop_trawl
for mode in absolute tunnel; do
	$PY "$HERE/smuggle.py" check-requests "$TMP/req-$mode.json" \
	    "$TMP/seen-$mode.log" "$TMP/flows.har" $mode >"$TMP/check-req-$mode"
	$PY "$HERE/smuggle.py" check-responses "$TMP/resp-$mode.json" \
	    "$TMP/flows.har" $mode >"$TMP/check-resp-$mode"
	for f in "$TMP/check-req-$mode" "$TMP/check-resp-$mode"; do
		cat "$f"
		n=$(grep -c '^not ok' "$f")
		FAILS=$((FAILS + n))
		grep -q '^ok' "$f" || not_ok "$(basename "$f") ran no check"
	done
done
check "the far side logged no crash" sh -c "! grep -q Traceback '$TMP'/*server*.err"
finish
