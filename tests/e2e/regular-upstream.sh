#!/bin/sh
# Upstream mode: regular mode that sends everything on through another
# proxy (upproxy.py): plain HTTP in absolute form, TLS through CONNECT
# and intercepted inside, Proxy-Authorization from --upstream-auth.
. "$(dirname "$0")/lib.sh"

cd "$TMP" || exit 1
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout ca.key -out ca.pem -days 7 -subj "/CN=Test Origin CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout srv.key -out srv.csr -subj "/CN=localhost" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >ext
openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
    -out srv.pem -days 7 -extfile ext 2>/dev/null
cd - >/dev/null || exit 1

OP=$(free_port); SP=$(free_port); XP=$(free_port); PP=$(free_port)
QP=$(free_port)
start_origin "$OP" || exit 1
python3 "$HERE/origin.py" "$SP" 127.0.0.1 "$TMP/srv.pem" "$TMP/srv.key" \
    >"$TMP/origin-tls.log" 2>&1 &
cleanup_add "kill $!"
/usr/bin/python3 "$HERE/upproxy.py" "$XP" "$TMP/up.log" bob:pw \
    >"$TMP/upproxy.err" 2>&1 &
cleanup_add "kill $!"
wait_port 127.0.0.1 "$SP" || exit 1
wait_port 127.0.0.1 "$XP" || exit 1
CONF=$TMP/conf
start_trawl --mode "upstream:http://127.0.0.1:$XP@$PP" --upstream-auth bob:pw \
    --dump --confdir "$CONF" --upstream-ca "$TMP/ca.pem" -w "$TMP/u.har"
wait_port 127.0.0.1 "$PP" || exit 1
CA=$CONF/trawl-ca-cert.pem
D=$TMP/dump.out
BASIC="Basic $(printf bob:pw | base64)"

curl -s --max-time 10 -x "http://127.0.0.1:$PP" "http://127.0.0.1:$OP/headers" \
    >"$TMP/h.out"
contains "plain HTTP reaches the server through the upstream proxy" \
    "$TMP/h.out" "GET /headers HTTP/1.1"
contains "the upstream proxy got it in absolute form, with the login" \
    "$TMP/up.log" "GET http://127.0.0.1:$OP/headers HTTP/1.1 auth=$BASIC"
check "the login never reaches the server" \
    sh -c "! grep -qi proxy-authorization '$TMP/h.out'"
contains "the plain flow is recorded" "$D" \
    "GET http://127.0.0.1:$OP/headers << 200"

got=$(curl -s --max-time 10 --cacert "$CA" -x "http://127.0.0.1:$PP" \
    "https://localhost:$SP/len/4" | wc -c)
eq "HTTPS through the upstream proxy, intercepted" "$got" "4"
contains "TLS went through a CONNECT with the login" "$TMP/up.log" \
    "CONNECT localhost:$SP HTTP/1.1 auth=$BASIC"
contains "the HTTPS flow is decrypted" "$D" "GET https://localhost:$SP/len/4 << 200"

# Without the login, the proxy's 407 is what the client hears of.
"$TRAWL" --mode "upstream:http://127.0.0.1:$XP@$QP" --dump --confdir "$CONF" \
    </dev/null >"$TMP/noauth.out" 2>"$TMP/noauth.err" &
cleanup_add "kill $!"
wait_port 127.0.0.1 "$QP" || exit 1
got=$(curl -s --max-time 10 --cacert "$CA" -x "http://127.0.0.1:$QP" \
    -o /dev/null -w '%{http_code}' "https://localhost:$SP/len/4")
check "a refused CONNECT fails the client's request (got $got)" test "$got" != 200
contains "the flow says the upstream proxy refused, and why" \
    "$TMP/noauth.out" "refused CONNECT to localhost:$SP: 407"

stop_trawl
got=$(/usr/bin/python3 -c 'import json,sys
e=json.load(open(sys.argv[1]))["log"]["entries"]
print(sorted(set(x.get("_mode") for x in e)))' "$TMP/u.har")
eq "flows record the upstream mode" "$got" "['upstream:http://127.0.0.1:$XP@$PP']"

"$TRAWL" --mode upstream:https://127.0.0.1:1 --dump </dev/null >/dev/null \
    2>"$TMP/bad.err"
contains "upstream:https:// is refused, naming the option" "$TMP/bad.err" \
    "bad --mode 'upstream:https://127.0.0.1:1'"
"$TRAWL" --mode regular --upstream-auth bob:pw --dump </dev/null >/dev/null \
    2>"$TMP/bad2.err"
contains "--upstream-auth without an upstream mode is an error" \
    "$TMP/bad2.err" "--upstream-auth needs an upstream mode"
finish
