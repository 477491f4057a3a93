#!/bin/sh
# local-replay.sh -- a replay of a captured flow goes back to the address
# the program connected to, not to what trawl resolves the flow's name to:
# curl --resolve names a host no resolver knows; its flow replays (the
# dump's "replay" command) to the same origin, with the same Host, over
# IPv4, IPv6 and HTTPS (with the same SNI).
[ -n "${LOCAL_E2E_TIMED:-}" ] || LOCAL_E2E_TIMED=1 exec timeout -k 5 60 sh "$0" "$@"
. "$(dirname "$0")/local-common.inc"

start_servers
# An HTTPS origin whose certificate names only nowhere.invalid: a replay
# that offered another SNI (or verified another name) fails.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/ca.key" -out "$T/ca.pem" -days 7 -subj "/CN=Replay CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/srv.key" -out "$T/srv.csr" -subj "/CN=nowhere.invalid" 2>/dev/null
printf 'subjectAltName=DNS:nowhere.invalid\n' >"$T/ext"
openssl x509 -req -in "$T/srv.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" \
    -CAcreateserial -out "$T/srv.pem" -days 7 -extfile "$T/ext" 2>/dev/null ||
	fail "test certificates"
inb python3 tests/e2e/origin.py 443 192.0.2.1 "$T/srv.pem" "$T/srv.key"
i=0
until ina curl -s -o /dev/null -m 1 --cacert "$T/ca.pem" \
    --resolve nowhere.invalid:443:192.0.2.1 https://nowhere.invalid/len/1; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "the HTTPS origin did not start"
	sleep 0.05
done
start_trawl curl --confdir "$T/conf" --upstream-ca "$T/ca.pem"

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
# HTTPS: the same address, the same SNI (the certificate names only it).
bgcg curl -sS -m 5 --cacert "$T/conf/trawl-ca-cert.pem" -o /dev/null \
    --resolve nowhere.invalid:443:192.0.2.1 https://nowhere.invalid/headers
wait $p || fail "curl --resolve https through trawl"
waitfor "curl:$p GET https://nowhere\.invalid/headers << 200 OK" ||
	fail "the https flow of curl --resolve"
out=$(ctl "replay 5")
[ "$out" = "ok replay 6" ] || fail "replay 5: $out"
waitfor " replay GET https://nowhere\.invalid/headers << 200 OK" 5 ||
	fail "the https replay did not reach 192.0.2.1 as nowhere.invalid"
ok "and over HTTPS, with the original SNI"
stop_trawl TERM
echo PASS
