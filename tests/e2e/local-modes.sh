#!/bin/sh
# local-modes.sh -- several --mode options in one trawl: local capture and
# a reverse proxy side by side, each flow recording the mode it came
# through (TCP and UDP of local mode, the reverse proxy's requests).
[ -n "${LOCAL_E2E_TIMED:-}" ] || LOCAL_E2E_TIMED=1 exec timeout -k 5 60 sh "$0" "$@"
. "$(dirname "$0")/local-common.inc"

RP=18443
start_servers
start_trawl curl,python3 --mode "reverse:http://192.0.2.1:80@127.0.0.1:$RP" \
    -w "$T/flows.har"
i=0
until grep -q "listening at 127.0.0.1:$RP" "$T/trawl.err"; do
	i=$((i + 1)); [ $i -gt 60 ] && fail "the reverse mode did not listen"
	sleep 0.05
done

# Captured by local mode.
bgcg curl -sS -m 3 -o /dev/null http://192.0.2.1/len/10
wait $p || fail "captured curl"
waitfor "curl:$p GET http://192\.0\.2\.1/len/10 << 200" || fail "local flow"
incg python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(b"ping", ("192.0.2.1", 7777))
assert s.recv(100) == b"ping"
' || fail "captured UDP echo"
# Through the reverse proxy, by a program local mode leaves alone.
got=$(ina curl -sS -m 3 "http://localhost:$RP/headers" | grep -i '^host:' |
    tr -d '\r')
[ "$got" = "Host: 192.0.2.1" ] || fail "reverse proxy: got '$got'"
waitfor "GET http://192\.0\.2\.1/headers << 200" || fail "reverse flow"
ok "local capture and a reverse proxy in one trawl"

stop_trawl
python3 -c 'import json,sys
for e in json.load(open(sys.argv[1]))["log"]["entries"]:
    print(e.get("_type"), e["request"]["url"], e.get("_mode"))' \
    "$T/flows.har" >"$T/modes.txt" || fail "HAR not read"
grep -q "^http http://192.0.2.1/len/10 local:curl,python3$" "$T/modes.txt" ||
	fail "local TCP flow's mode: $(cat "$T/modes.txt")"
grep -q "^udp .* local:curl,python3$" "$T/modes.txt" ||
	fail "local UDP flow's mode: $(cat "$T/modes.txt")"
grep -q "^http http://192.0.2.1/headers reverse:http://192.0.2.1:80@127.0.0.1:$RP$" \
    "$T/modes.txt" || fail "reverse flow's mode: $(cat "$T/modes.txt")"
ok "each flow records its mode (HAR _mode)"
echo "all passed"
