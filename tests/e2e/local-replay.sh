#!/bin/sh
# local-replay.sh -- a replay of a captured flow goes back to the address
# the program connected to, not to what trawl resolves the flow's name to:
# curl --resolve names a host no resolver knows; its flow replays (the
# dump's "replay" command) to the same origin, with the same Host.
[ -n "${LOCAL_E2E_TIMED:-}" ] || LOCAL_E2E_TIMED=1 exec timeout -k 5 60 sh "$0" "$@"
. "$(dirname "$0")/local-common.inc"

start_servers
start_trawl curl

bgcg curl -sS -m 3 -o /dev/null --resolve nowhere.invalid:80:192.0.2.1 \
    http://nowhere.invalid/headers
wait $p || fail "curl --resolve through trawl"
waitfor "curl:$p GET http://nowhere\.invalid/headers << 200 OK" ||
	fail "the flow of curl --resolve"
out=$(ctl "replay 1")
[ "$out" = "ok replay 2" ] || fail "replay 1: $out"
waitfor " replay GET http://nowhere\.invalid/headers << 200 OK" 5 ||
	fail "the replay did not reach 192.0.2.1"
ok "the replay of curl --resolve reaches the address curl connected to"

# Again over IPv6, where the name is bracketed nowhere but the address is.
bgcg curl -sS -m 3 -o /dev/null --resolve nowhere6.invalid:80:2001:db8::1 \
    http://nowhere6.invalid/headers
wait $p || fail "curl --resolve over IPv6"
waitfor "curl:$p GET http://nowhere6\.invalid/headers << 200 OK" ||
	fail "the IPv6 flow of curl --resolve"
out=$(ctl "replay 3")
[ "$out" = "ok replay 4" ] || fail "replay 3: $out"
waitfor " replay GET http://nowhere6\.invalid/headers << 200 OK" 5 ||
	fail "the replay did not reach 2001:db8::1"
ok "and over IPv6"
stop_trawl TERM
echo PASS
