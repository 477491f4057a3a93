#!/bin/sh
# local-smuggle.sh -- request smuggling and response desync (issue 11,
# item 1) on transparent connections, without CONNECT: captured clients
# send tests/e2e/smuggle.py's corpus of ambiguous requests in origin form
# straight to an h11 server in netns B, and ask a raw server for its
# ambiguous responses; what the far side (or the h11 client) parses must
# be exactly what the flows record.
[ -n "${LOCAL_E2E_TIMED:-}" ] || LOCAL_E2E_TIMED=1 exec timeout -k 5 90 sh "$0" "$@"
. "$(dirname "$0")/local-common.inc"
PY=/usr/bin/python3	# Debian's h11 imports only here
$PY -c 'import h11' || fail "python3-h11 is not installed (make deps)"

inb $PY tests/e2e/smuggle.py server 192.0.2.1 8080 "$T/seen.log"
inb $PY tests/e2e/smuggle.py rawserver 192.0.2.1 8081
i=0
until ina $PY -c 'import socket
for p in 8080, 8081:
    socket.create_connection(("192.0.2.1", p), 0.2).close()' 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "servers did not start"
	sleep 0.05
done
sleep 0.2
: >"$T/seen.log"

start_trawl "python3" -w "$T/flows.har"
bgcg $PY tests/e2e/smuggle.py requests direct - 192.0.2.1:8080 "$T/req.json"
q=$p
bgcg $PY tests/e2e/smuggle.py responses direct - 192.0.2.1:8081 "$T/resp.json"
wait $q || fail "the request corpus did not run"
wait $p || fail "the response corpus did not run"
sleep 0.5
stop_trawl

$PY tests/e2e/smuggle.py check-requests "$T/req.json" "$T/seen.log" \
    "$T/flows.har" direct >"$T/check-req"
rq=$?
$PY tests/e2e/smuggle.py check-responses "$T/resp.json" "$T/flows.har" \
    direct >"$T/check-resp"
rs=$?
cat "$T/check-req" "$T/check-resp"
[ "$rq" = 0 ] && grep -q '^ok' "$T/check-req" ||
	fail "requests: $(grep -c '^not ok' "$T/check-req") checks failed"
[ "$rs" = 0 ] && grep -q '^ok' "$T/check-resp" ||
	fail "responses: $(grep -c '^not ok' "$T/check-resp") checks failed"
ok "transparent connections are framed as trawl parsed them, both ways"
echo PASS
