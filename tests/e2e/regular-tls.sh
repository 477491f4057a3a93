#!/bin/sh
# TLS interception in regular mode: trawl's CA, decrypted flows, verified
# upstreams, passthrough, key logs and bad handshakes.
. "$(dirname "$0")/lib.sh"

# A test CA of our own and an HTTPS origin it signed.
cd "$TMP" || exit 1
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout ca.key -out ca.pem -days 7 -subj "/CN=Test Origin CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout srv.key -out srv.csr -subj "/CN=localhost" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >ext
openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
    -out srv.pem -days 7 -extfile ext 2>/dev/null
cd - >/dev/null || exit 1

OP=$(free_port); PP=$(free_port)
python3 "$HERE/origin.py" "$OP" 127.0.0.1 "$TMP/srv.pem" "$TMP/srv.key" \
    >"$TMP/origin.log" 2>&1 &
cleanup_add "kill $!"
wait_port 127.0.0.1 "$OP" || exit 1
CONF=$TMP/conf
start_trawl --mode "regular@$PP" --dump --confdir "$CONF" -w "$TMP/tls.har" \
    --upstream-ca "$TMP/ca.pem" --keylog "$TMP/keys" \
    --ignore-hosts '^passthrough\.invalid' 
wait_port 127.0.0.1 "$PP" || exit 1
X="-x http://127.0.0.1:$PP"
O=https://localhost:$OP
D=$TMP/dump.out

# The CA: created at first start, key 0600, exported as PEM and DER.
eq "CA key is mode 0600" "$(stat -c %a "$CONF/trawl-ca-key.pem")" "600"
check "CA certificate exported as PEM" openssl x509 -in "$CONF/trawl-ca-cert.pem" -noout
check "CA certificate exported as DER" openssl x509 -inform DER -in "$CONF/trawl-ca-cert.cer" -noout
want=$(openssl x509 -in "$CONF/trawl-ca-cert.pem" -noout -fingerprint -sha256 | cut -d= -f2)
"$TRAWL" --confdir "$CONF" ca >"$TMP/ca.out"
contains "trawl ca prints the SHA-256 fingerprint" "$TMP/ca.out" "$want"
contains "trawl ca prints the certificate path" "$TMP/ca.out" "$CONF/trawl-ca-cert.pem"
check "CA key never shows in trawl ca" sh -c "! grep -q 'PRIVATE' '$TMP/ca.out'"

# curl through the proxy sees decrypted content; the flow is https.
got=$(curl -s --cacert "$CONF/trawl-ca-cert.pem" $X "$O/len/100000" | sha256sum)
want=$(curl -s --cacert "$TMP/ca.pem" "$O/len/100000" | sha256sum)
eq "https body through trawl is intact" "$got" "$want"
curl -s --cacert "$CONF/trawl-ca-cert.pem" $X "https://127.0.0.1:$OP/headers" >"$TMP/h"
contains "an IP destination gets a certificate too" "$TMP/h" "GET /headers HTTP/1.1"

# python's ssl module: the certificate it saw was issued by trawl's CA.
python3 - "$PP" "$OP" "$CONF/trawl-ca-cert.pem" >"$TMP/py" <<'PY'
import socket, ssl, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(("CONNECT localhost:%s HTTP/1.1\r\nHost: localhost\r\n\r\n" % sys.argv[2]).encode())
assert s.recv(4096).startswith(b"HTTP/1.1 200")
ctx = ssl.create_default_context(cafile=sys.argv[3])
t = ctx.wrap_socket(s, server_hostname="localhost")
issuer = dict(x[0] for x in t.getpeercert()["issuer"])
t.sendall(b"GET /len/5 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
data = b""
while True:
    b = t.recv(65536)
    if not b:
        break
    data += b
print(issuer.get("commonName"), t.version(), data.split(b"\r\n")[0].decode())
PY
check "python saw trawl's CA as issuer" grep -q "trawl" "$TMP/py"
contains "python got the decrypted response" "$TMP/py" "HTTP/1.1 200 OK"

sleep 0.3
contains "dump line carries the https URL" "$D" "GET $O/len/100000 << 200 OK"
# Both TLS sides are on the flow (and in the HAR): version, cipher, SNI,
# ALPN, and the server certificate's subject, issuer, names and SHA-256.
python3 - "$TMP/tls.har" "$OP" <<'PY' >"$TMP/tlsfacts" 2>&1
import json, sys
for e in json.load(open(sys.argv[1]))["log"]["entries"]:
    if e["request"]["url"] == "https://localhost:%s/len/100000" % sys.argv[2]:
        c, s = e["_clientTLS"], e["_serverTLS"]
        assert c["sni"] == "localhost" and c["version"].startswith("TLS"), c
        assert c["alpn"] == "http/1.1", c
        assert s["version"].startswith("TLS") and s["cipher"], s
        assert "CN=localhost" in s["certSubject"], s
        assert "Test Origin CA" in s["certIssuer"], s
        assert "localhost" in s["certSans"] and len(s["certSha256"]) >= 64, s
        assert s["certNotAfter"] > s["certNotBefore"] > 0, s
        print("tls facts ok")
        break
else:
    print("no https flow in the HAR")
PY
contains "both TLS sides are recorded with the server certificate" "$TMP/tlsfacts" "tls facts ok"
check "key log has lines for both legs" [ "$(grep -c '^CLIENT_HANDSHAKE_TRAFFIC_SECRET\|^CLIENT_RANDOM' "$TMP/keys")" -ge 4 ]

# A client that does not trust trawl's CA: a flow error naming the host.
curl -s $X "$O/len/1" -o /dev/null
sleep 0.3
contains "rejected certificate is recorded with the host" "$D" "the client rejected trawl's certificate for localhost"

# Ignored hosts pass through: the client sees the origin's own certificate.
PP2=$(free_port)
"$TRAWL" --mode "regular@$PP2" --dump --confdir "$CONF" --ignore-hosts 'localhost' \
    </dev/null >"$TMP/dump2.out" 2>&1 &
cleanup_add "kill $!"
wait_port 127.0.0.1 "$PP2"
got=$(curl -s --cacert "$TMP/ca.pem" -x "http://127.0.0.1:$PP2" "$O/len/10" | wc -c)
eq "ignored host: the client trusts the server's own CA" "$got" "10"
sleep 0.3
contains "passthrough flow records the SNI" "$TMP/dump2.out" "tls-passthrough sni=localhost 127.0.0.1:$OP << up"

# Without --upstream-ca the origin does not verify: 502 with the reason.
PP3=$(free_port)
"$TRAWL" --mode "regular@$PP3" --dump --confdir "$CONF" </dev/null >"$TMP/dump3.out" 2>&1 &
cleanup_add "kill $!"
wait_port 127.0.0.1 "$PP3"
eq "unverified upstream gets 502" "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CONF/trawl-ca-cert.pem" -x "http://127.0.0.1:$PP3" "$O/len/1")" "502"
sleep 0.3
contains "verification failure is recorded with the reason" "$TMP/dump3.out" "local issuer certificate"

# --ssl-insecure accepts it.
PP4=$(free_port)
"$TRAWL" --mode "regular@$PP4" --dump --confdir "$CONF" --ssl-insecure </dev/null >"$TMP/dump4.out" 2>&1 &
cleanup_add "kill $!"
wait_port 127.0.0.1 "$PP4"
eq "--ssl-insecure reaches the server" "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CONF/trawl-ca-cert.pem" -x "http://127.0.0.1:$PP4" "$O/len/1")" "200"

# --tls-auto-ignore: after a refusal the host passes through.
PP5=$(free_port)
"$TRAWL" --mode "regular@$PP5" --dump --confdir "$CONF" --tls-auto-ignore </dev/null >"$TMP/dump5.out" 2>&1 &
cleanup_add "kill $!"
wait_port 127.0.0.1 "$PP5"
curl -s --cacert "$TMP/ca.pem" -x "http://127.0.0.1:$PP5" "$O/len/1" -o /dev/null
eq "after a refusal the host passes through" "$(curl -s --cacert "$TMP/ca.pem" -x "http://127.0.0.1:$PP5" "$O/len/3" | wc -c)" "3"

# trawl ca install: the system store trusts trawl, so curl needs no
# --cacert; uninstall takes it away again.
cleanup_add "'$TRAWL' --confdir '$CONF' ca uninstall >/dev/null 2>&1"
"$TRAWL" --confdir "$CONF" ca install >"$TMP/inst" 2>&1
contains "trawl ca install succeeds" "$TMP/inst" "now trusted system-wide"
check "the certificate is in the system store" [ -f /usr/local/share/ca-certificates/trawl-ca.crt ]
eq "curl trusts trawl without --cacert after install" \
    "$(curl -s -o /dev/null -w '%{http_code}' $X "$O/len/1")" "200"
"$TRAWL" --confdir "$CONF" ca uninstall >"$TMP/uninst" 2>&1
check "the certificate left the system store" [ ! -f /usr/local/share/ca-certificates/trawl-ca.crt ]
check "curl no longer trusts trawl after uninstall" \
    [ "$(curl -s -o /dev/null -w '%{http_code}' $X "$O/len/1")" != 200 ]

# Bad input: a garbage ClientHello, and a server closing mid-handshake.
python3 - "$PP" "$OP" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(("CONNECT localhost:%s HTTP/1.1\r\n\r\n" % sys.argv[2]).encode())
s.recv(4096)
s.sendall(b"\x16\x03\x01\x00\x05garbagegarbage")
try:
    s.recv(4096)
except Exception:
    pass
PY
CP=$(free_port)
python3 -c "
import socket
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(('127.0.0.1', $CP)); l.listen(8)
while True:
    c, _ = l.accept(); c.recv(10); c.close()
" &
cleanup_add "kill $!"
wait_port 127.0.0.1 "$CP"
eq "server closing mid-handshake gets 502" "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CONF/trawl-ca-cert.pem" $X "https://localhost:$CP/")" "502"
sleep 0.3
contains "the closed handshake is recorded" "$D" "GET https://localhost:$CP/ << - 0b"
check "trawl survived bad input" kill -0 "$TRAWL_PID"
check "no CA key material in the dump" sh -c "! grep -q PRIVATE '$D'"
finish
