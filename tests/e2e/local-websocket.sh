#!/bin/sh
# local-websocket.sh -- local mode parses a captured program's WebSocket
# connections into messages, without proxy settings: python3-websockets
# to a server in another netns over ws:// (IPv4 and IPv6) and wss:// (the
# client trusting trawl's CA), with permessage-deflate, fragments and the
# close code in the --dump-messages lines.
[ -n "${LOCAL_E2E_TIMED:-}" ] || LOCAL_E2E_TIMED=1 exec timeout -k 5 90 sh "$0" "$@"
. "$(dirname "$0")/local-common.inc"
PY=/usr/bin/python3
$PY -c 'import websockets' 2>/dev/null || fail "python3-websockets missing (make deps)"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/ca.key" -out "$T/ca.pem" -days 7 -subj "/CN=Local WS CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/srv.key" -out "$T/srv.csr" -subj "/CN=www.test.trawl" 2>/dev/null
printf 'subjectAltName=DNS:www.test.trawl,IP:192.0.2.1\n' >"$T/ext"
openssl x509 -req -in "$T/srv.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" \
    -CAcreateserial -out "$T/srv.pem" -days 7 -extfile "$T/ext" 2>/dev/null ||
	fail "test certificates"
inb $PY tests/e2e/wspeer.py server 192.0.2.1:8080
inb $PY tests/e2e/wspeer.py server '[2001:db8::1]:8080'
inb $PY tests/e2e/wspeer.py server 192.0.2.1:8443 "$T/srv.pem" "$T/srv.key"
i=0
until ina $PY -c 'import socket
for a in (("192.0.2.1", 8080), ("2001:db8::1", 8080), ("192.0.2.1", 8443)):
    socket.create_connection(a, 0.2).close()' 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "servers did not start"
	sleep 0.05
done

start_trawl "python3" --dump-messages --confdir "$T/conf" \
    --upstream-ca "$T/ca.pem"

incg timeout 20 $PY tests/e2e/wspeer.py client ws://192.0.2.1:8080/echo recv \
    send:local-hi recv frag:x,y,z recv bin:0102 recv send:close-me \
    wait-close >"$T/c1" 2>&1
grep -q "recv echo:xyz" "$T/c1" || fail "the ws client's echoes: $(cat "$T/c1")"
grep -q "closed 4001 bye now" "$T/c1" || fail "the close code: $(cat "$T/c1")"
ok "a captured ws client works as without trawl"
waitfor "ws [0-9]+ client -> server text 8b deflate local-hi" ||
	fail "the client's message is not in the dump"
waitfor "ws [0-9]+ server -> client text 13b deflate echo:local-hi" ||
	fail "the server's message is not in the dump"
waitfor "ws [0-9]+ client -> server text 3b deflate xyz" ||
	fail "the fragmented message is not one message"
waitfor "ws [0-9]+ client -> server binary 2b deflate 0102" ||
	fail "the binary message is not in the dump"
waitfor "ws [0-9]+ closed by server 4001 bye now" || fail "no close line"
waitfor "GET http://192.0.2.1:8080/echo << 101 Switching Protocols" ||
	fail "no flow line at the close"
ok "ws messages, fragments, binary and the close are in the dump"

incg timeout 20 $PY tests/e2e/wspeer.py client 'ws://[2001:db8::1]:8080/echo' \
    --no-deflate recv send:six recv close:1000:v6 wait-close >"$T/c2" 2>&1
grep -q "recv echo:six" "$T/c2" || fail "the IPv6 client: $(cat "$T/c2")"
waitfor "ws [0-9]+ client -> server text 3b six" || fail "IPv6 message not shown"
waitfor "ws [0-9]+ closed by client 1000 v6" || fail "IPv6 close not shown"
ok "ws over IPv6 without deflate"

incg timeout 20 $PY tests/e2e/wspeer.py client wss://192.0.2.1:8443/echo \
    --ca "$T/conf/trawl-ca-cert.pem" recv send:tls-hi recv close:1000:tls \
    wait-close >"$T/c3" 2>&1
grep -q "recv echo:tls-hi" "$T/c3" || fail "the wss client: $(cat "$T/c3")"
waitfor "ws [0-9]+ server -> client text 11b deflate echo:tls-hi" ||
	fail "wss messages are not decrypted in the dump"
waitfor "GET https://192.0.2.1:8443/echo << 101" || fail "no wss flow line"
ok "wss is decrypted into messages"
stop_trawl
echo "all passed"
