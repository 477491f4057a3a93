#!/bin/sh
# --server-replay in regular mode: flows recorded through trawl (curl,
# python requests, HTTP and HTTPS) answer later requests with the origin
# gone; query parameters and POST bodies are matched, --server-replay-
# ignore-params, --server-replay-extra kill|STATUS|forward, each saved
# response once in order or again with --server-replay-reuse, ~replays,
# and a bad HAR stops trawl before it listens.
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

OP=$(free_port); SP=$(free_port); PP=$(free_port); KP=$(free_port)
PY=/usr/bin/python3
O=http://127.0.0.1:$OP
S=https://localhost:$SP
X="-x http://127.0.0.1:$PP"
CA=$TMP/config/trawl/trawl-ca-cert.pem
D=$TMP/dump.out

python3 "$HERE/origin.py" "$OP" >"$TMP/origin.log" 2>&1 &
OPID=$!
cleanup_add "kill $OPID"
python3 "$HERE/origin.py" "$SP" 127.0.0.1 "$TMP/srv.pem" "$TMP/srv.key" \
    >"$TMP/origin-tls.log" 2>&1 &
SPID=$!
cleanup_add "kill $SPID"
wait_port 127.0.0.1 "$OP" || exit 1
wait_port 127.0.0.1 "$SP" || exit 1

# 1. Record.
start_trawl --mode "regular@$PP" --dump -w "$TMP/rec.har" \
    --upstream-ca "$TMP/ca.pem"
wait_port 127.0.0.1 "$PP" || { cat "$TMP/dump.err"; exit 1; }
curl -s $X "$O/headers?a=1&ts=111" >/dev/null
c1=$(curl -s $X "$O/conns")
c2=$(curl -s $X "$O/conns")
curl -s $X --data-binary alpha "$O/echo" >/dev/null
curl -s $X --data-binary beta "$O/echo" >/dev/null
curl -s --cacert "$CA" $X "$S/headers" >/dev/null
curl -s --cacert "$CA" $X "$S/headers" >/dev/null
$PY - "$PP" "$O" <<'PY'
import requests, sys
p = {"http": "http://127.0.0.1:%s" % sys.argv[1]}
requests.get(sys.argv[2] + "/headers", params={"q": "a b", "n": "1"},
             proxies=p)
PY
contains "the recording saw the last request" "$D" "/headers?q=a+b&n=1"
stop_trawl
kill "$OPID" "$SPID"
wait "$OPID" "$SPID" 2>/dev/null
check "the origins are gone" sh -c "! curl -s $O/conns"

# 2. A file that is no HAR stops trawl before it listens, naming it.
printf '{"log": ' >"$TMP/bad.har"
"$TRAWL" --mode "regular@$PP" --dump --server-replay "$TMP/bad.har" \
    >"$TMP/bad.out" 2>"$TMP/bad.err"
eq "a bad HAR exits 2" "$?" "2"
contains "the error names the file" "$TMP/bad.err" "--server-replay $TMP/bad.har:"
"$TRAWL" --mode "regular@$PP" --dump --server-replay "$TMP/none.har" \
    >"$TMP/bad2.out" 2>"$TMP/bad2.err"
contains "a missing file is an error naming it" "$TMP/bad2.err" "$TMP/none.har"
"$TRAWL" --mode "regular@$PP" --dump --server-replay "$TMP/rec.har" \
    --server-replay-extra sometimes >"$TMP/bad3.out" 2>"$TMP/bad3.err"
contains "a bad --server-replay-extra is refused" "$TMP/bad3.err" \
    "bad --server-replay-extra 'sometimes'"
check "nothing listened" sh -c "! python3 -c \"import socket; socket.create_connection(('127.0.0.1',$PP),0.2)\" 2>/dev/null"

# 3. Answers from the file; ts ignored; the rest gets 404.
start_trawl --mode "regular@$PP" --mode "socks5@$KP" --dump \
    -w "$TMP/out.har" --server-replay "$TMP/rec.har" \
    --server-replay-ignore-params ts --server-replay-extra 404
wait_port 127.0.0.1 "$PP" || { cat "$TMP/dump.err"; exit 1; }
wait_port 127.0.0.1 "$KP" || { cat "$TMP/dump.err"; exit 1; }
got=$(curl -s $X "$O/headers?a=1&ts=999" | head -n 1 | tr -d '\r')
eq "an ignored parameter does not stop a match" "$got" \
    "GET /headers?a=1&ts=111 HTTP/1.1"
eq "another value of a parameter is no match" \
    "$(curl -s -o /dev/null -w '%{http_code}' $X "$O/headers?a=2")" "404"
eq "repeated requests: the first saved response first" \
    "$(curl -s $X "$O/conns")" "$c1"
eq "then the second" "$(curl -s $X "$O/conns")" "$c2"
eq "then none is left: --server-replay-extra 404" \
    "$(curl -s -o /dev/null -w '%{http_code}' $X "$O/conns")" "404"
eq "a POST body chooses its saved flow (beta)" \
    "$(curl -s $X --data-binary beta "$O/echo")" "beta"
eq "a POST body chooses its saved flow (alpha)" \
    "$(curl -s $X --data-binary alpha "$O/echo")" "alpha"
eq "a POST body never recorded is no match" \
    "$(curl -s -o /dev/null -w '%{http_code}' $X --data-binary gamma "$O/echo")" \
    "404"
got=$(curl -s --cacert "$CA" $X "$S/headers" | head -n 1 | tr -d '\r')
eq "HTTPS is answered from the file" "$got" "GET /headers HTTP/1.1"
got=$(curl -s --cacert "$CA" --socks5-hostname "127.0.0.1:$KP" \
    "$S/headers" | head -n 1 | tr -d '\r')
eq "HTTPS through SOCKS5 too, the server gone" "$got" "GET /headers HTTP/1.1"
got=$($PY - "$PP" "$O" <<'PY'
import requests, sys
p = {"http": "http://127.0.0.1:%s" % sys.argv[1]}
r = requests.get(sys.argv[2] + "/headers", params={"q": "a b", "n": "1"},
                 proxies=p)
print(r.status_code, r.text.splitlines()[0].strip())
PY
)
eq "python requests is answered from the file" "$got" \
    "200 GET /headers?q=a+b&n=1 HTTP/1.1"
contains "the dump says which flows are server replays" "$D" \
    "GET $O/conns << 200 OK"
contains "... marked as such" "$D" "(server replay)"
stop_trawl
$PY - "$TMP/out.har" <<'PY' >"$TMP/marks"
import json, sys
for e in json.load(open(sys.argv[1]))["log"]["entries"]:
    print(e["request"]["method"], e["response"]["status"], e["_replay"])
PY
eq "the HAR marks server replays, and only them" "$(sort "$TMP/marks" | uniq -c | sed 's/^ *//')" \
"6 GET 200 server
2 GET 404 none
2 POST 200 server
1 POST 404 none"

# 4. --server-replay-reuse answers again; kill; the ~replays filter.
start_trawl --mode "regular@$PP" --dump --server-replay "$TMP/rec.har" \
    --server-replay-reuse --server-replay-extra kill '~replays'
wait_port 127.0.0.1 "$PP" || { cat "$TMP/dump.err"; exit 1; }
r=""
for i in 1 2 3; do r="$r $(curl -s $X "$O/conns")"; done
eq "with reuse the first saved response answers every time" "$r" " $c1 $c1 $c1"
eq "kill: a request with no match gets no answer of the server's" \
    "$(curl -s -o /dev/null -w '%{http_code}' $X "$O/never")" "502"
curl -s $X --data-binary beta "$O/echo" >/dev/null
contains "the filter prints replays" "$D" "POST $O/echo << 200 OK"
check "... and not the killed flow" sh -c "! grep -q /never '$D'"
stop_trawl

# 5. forward (the default): the origin is back and answers what the file
# does not; what the file holds still never reaches it.
python3 "$HERE/origin.py" "$OP" >"$TMP/origin2.log" 2>&1 &
cleanup_add "kill $!"
wait_port 127.0.0.1 "$OP" || exit 1
before=$(curl -s "$O/conns")
start_trawl --mode "regular@$PP" --dump --server-replay "$TMP/rec.har"
wait_port 127.0.0.1 "$PP" || { cat "$TMP/dump.err"; exit 1; }
eq "a match is answered from the file, not the live origin" \
    "$(curl -s $X "$O/conns")" "$c1"
got=$(curl -s $X "$O/headers?a=3" | head -n 1 | tr -d '\r')
eq "forward: an unmatched request goes to the server" "$got" \
    "GET /headers?a=3 HTTP/1.1"
eq "the origin saw only the forwarded request (and this one)" \
    "$(curl -s "$O/conns")" "$((before + 2))"
stop_trawl

# 6. The options from a config file, as long options there.
cat >"$TMP/config.txt" <<EOF
server-replay = $TMP/rec.har
server-replay-extra = 410
server-replay-ignore-params = ts
EOF
start_trawl --mode "regular@$PP" --dump --config "$TMP/config.txt"
wait_port 127.0.0.1 "$PP" || { cat "$TMP/dump.err"; exit 1; }
got=$(curl -s $X "$O/headers?a=1&ts=5" | head -n 1 | tr -d '\r')
eq "config file: answered from its file, ts ignored" "$got" \
    "GET /headers?a=1&ts=111 HTTP/1.1"
eq "config file: its extra status" \
    "$(curl -s -o /dev/null -w '%{http_code}' $X "$O/headers?a=9")" "410"
stop_trawl

finish
