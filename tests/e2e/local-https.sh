#!/bin/sh
# local-https.sh -- local mode recognises protocols by their bytes, not
# their port: HTTPS (the client trusting trawl's CA) is decrypted into an
# https flow with both TLS sides, TLS to an ignored host passes through
# with the server's own certificate, and a server that speaks first is
# relayed raw as a tcp flow.
[ -n "${LOCAL_E2E_TIMED:-}" ] || LOCAL_E2E_TIMED=1 exec timeout -k 5 90 sh "$0" "$@"
. "$(dirname "$0")/local-common.inc"

# A test CA and an HTTPS origin in netns B, on 443 and 8443.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/ca.key" -out "$T/ca.pem" -days 7 -subj "/CN=Local Test CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/srv.key" -out "$T/srv.csr" -subj "/CN=www.test.trawl" 2>/dev/null
printf 'subjectAltName=DNS:www.test.trawl,IP:192.0.2.1,IP:2001:db8::1\n' >"$T/ext"
openssl x509 -req -in "$T/srv.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" \
    -CAcreateserial -out "$T/srv.pem" -days 7 -extfile "$T/ext" 2>/dev/null ||
	fail "test certificates"
for port in 443 8443; do
	inb python3 tests/e2e/origin.py $port 192.0.2.1 "$T/srv.pem" "$T/srv.key"
done
# A server that speaks first (an SMTP-like banner), then echoes a line.
inb python3 -c '
import socket
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("192.0.2.1", 2525)); l.listen(8)
while True:
    c, _ = l.accept()
    c.sendall(b"220 banner here\r\n")
    c.sendall(c.recv(100))
    c.close()
'
i=0
until ina curl -s -o /dev/null -m 1 --cacert "$T/ca.pem" https://192.0.2.1/len/1 &&
    ina curl -s -o /dev/null -m 1 --cacert "$T/ca.pem" https://192.0.2.1:8443/len/1; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "servers did not start"
	sleep 0.05
done

start_trawl "curl,python3" --confdir "$T/conf" --upstream-ca "$T/ca.pem" \
    --ignore-hosts ':8443$'
TCA=$T/conf/trawl-ca-cert.pem

# HTTPS by IP and by name: decrypted, with the https URL.
bgcg curl -sS -m 5 --cacert "$TCA" -o "$T/body" https://192.0.2.1/len/1000
wait $p || fail "curl https through trawl"
[ "$(wc -c <"$T/body")" = 1000 ] || fail "https body"
waitfor "curl:$p GET https://192\.0\.2\.1/len/1000 << 200 OK" ||
	fail "https flow missing"
ok "HTTPS to an IP is decrypted"
bgcg curl -sS -m 5 --cacert "$TCA" --resolve www.test.trawl:443:192.0.2.1 \
    -o /dev/null https://www.test.trawl/len/7
wait $p || fail "curl https by name"
waitfor "curl:$p GET https://www\.test\.trawl/len/7 << 200 OK" ||
	fail "https flow by name missing"
ok "HTTPS by name: the SNI names the certificate and the flow"

# The client saw trawl's CA; an ignored host shows the server's own.
incg python3 - "$TCA" "$T/ca.pem" <<'PY' || fail "issuer check"
import socket, ssl, sys
def issuer(port, cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    with socket.create_connection(("192.0.2.1", port), timeout=5) as s:
        with ctx.wrap_socket(s, server_hostname="www.test.trawl") as t:
            return dict(x[0] for x in t.getpeercert()["issuer"])["commonName"]
a = issuer(443, sys.argv[1])
b = issuer(8443, sys.argv[2])
assert "trawl" in a, a
assert b == "Local Test CA", b
print("ok - issuers: %s / %s" % (a, b))
PY
waitfor "tls-passthrough sni=www\.test\.trawl 192\.0\.2\.1:8443 << up" ||
	fail "passthrough flow missing"
ok "an ignored host passes through, recorded with its SNI"

# A server that speaks first: a raw tcp flow with bytes both ways.
bgcg python3 -c '
import socket
s = socket.create_connection(("192.0.2.1", 2525), timeout=5)
assert s.recv(100).startswith(b"220")
s.sendall(b"HELO x\r\n")
assert s.recv(100) == b"HELO x\r\n"
'
wait $p || fail "server-first client"
waitfor "python3:$p tcp 192\.0\.2\.1:2525 << up 8b down 25b" 5 ||
	fail "raw tcp flow missing"
ok "a server that speaks first is relayed raw"
stop_trawl
echo PASS
