#!/bin/sh
# --proxyauth in regular mode: proxy requests and CONNECTs without the
# login get 407 and a Proxy-Authenticate challenge (curl and python's
# requests then log in); the login never reaches the server or a HAR.
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

OP=$(free_port); SP=$(free_port); PP=$(free_port)
start_origin "$OP" || exit 1
python3 "$HERE/origin.py" "$SP" 127.0.0.1 "$TMP/srv.pem" "$TMP/srv.key" \
    >"$TMP/origin-tls.log" 2>&1 &
cleanup_add "kill $!"
wait_port 127.0.0.1 "$SP" || exit 1
CONF=$TMP/conf
start_trawl --mode "regular@$PP" --proxyauth alice:s3cret --dump \
    --confdir "$CONF" --upstream-ca "$TMP/ca.pem" -w "$TMP/a.har"
wait_port 127.0.0.1 "$PP" || exit 1
CA=$CONF/trawl-ca-cert.pem
D=$TMP/dump.out

curl -s --max-time 10 -x "http://127.0.0.1:$PP" -D "$TMP/none.head" \
    -o /dev/null "http://127.0.0.1:$OP/headers"
contains "no login: 407" "$TMP/none.head" "407 Proxy Authentication Required"
contains "no login: a Basic challenge" "$TMP/none.head" \
    'Proxy-Authenticate: Basic realm="trawl"'
got=$(curl -s --max-time 10 -x "http://127.0.0.1:$PP" \
    --proxy-user alice:wrong -o /dev/null -w '%{http_code}' \
    "http://127.0.0.1:$OP/headers")
eq "a wrong password: 407" "$got" "407"
curl -s --max-time 10 -x "http://127.0.0.1:$PP" --proxy-user alice:s3cret \
    "http://127.0.0.1:$OP/headers" >"$TMP/h.out"
contains "the login lets a plain request through" "$TMP/h.out" \
    "GET /headers HTTP/1.1"
check "the login never reaches the server" \
    sh -c "! grep -qi proxy-authorization '$TMP/h.out'"

got=$(curl -s --max-time 10 --cacert "$CA" -x "http://127.0.0.1:$PP" \
    -o /dev/null -w '%{http_connect}' "https://localhost:$SP/len/4")
eq "a CONNECT without the login: 407" "$got" "407"
got=$(curl -s --max-time 10 --cacert "$CA" -x "http://127.0.0.1:$PP" \
    --proxy-user alice:s3cret "https://localhost:$SP/len/4" | wc -c)
eq "a CONNECT with the login is intercepted" "$got" "4"

# python's requests logs in from the proxy URL, on every request of a
# keep-alive connection.
/usr/bin/python3 - "$PP" "$OP" >"$TMP/py.out" 2>&1 <<'PY'
import sys, requests
pp, op = sys.argv[1], sys.argv[2]
s = requests.Session()
s.proxies = {"http": "http://alice:s3cret@127.0.0.1:%s" % pp}
codes = [s.get("http://127.0.0.1:%s/len/3" % op, timeout=10).status_code
         for _ in range(3)]
print("codes", *codes)
PY
contains "python requests with the login in its proxy URL" "$TMP/py.out" \
    "codes 200 200 200"

contains "the refused request is a flow saying why" "$D" \
    "proxy login required (--proxyauth): none given"
contains "a wrong login is told apart" "$D" \
    "proxy login required (--proxyauth): wrong login"
stop_trawl
check "the HAR holds no login" sh -c "! grep -qi 'proxy-authorization' '$TMP/a.har'"
check "the HAR holds no password" sh -c "! grep -q 's3cret' '$TMP/a.har'"

# A login nobody would be asked for is an error before anything starts.
"$TRAWL" --mode "reverse:http://127.0.0.1:$OP@$(free_port)" \
    --proxyauth a:b --dump </dev/null >/dev/null 2>"$TMP/bad.err"
eq "--proxyauth with only a reverse mode fails" "$?" "2"
contains "and says which modes ask for it" "$TMP/bad.err" \
    "--proxyauth needs a mode whose clients log in"
finish
