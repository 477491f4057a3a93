#!/bin/sh
# files-ca.sh -- trawl's CA files: a lost key is refused with an
# explanation (never a silent new CA), a key another user owns is refused,
# an expired certificate is warned about; a client that sends no SNI after
# CONNECT host:port gets a certificate for that host.
. "$(dirname "$0")/lib.sh"

CONF=$TMP/conf
"$TRAWL" --confdir "$CONF" ca >"$TMP/ca.out" 2>&1
check "trawl ca makes the CA" [ -f "$CONF/trawl-ca-key.pem" ]
before=$(sha256sum <"$CONF/trawl-ca-cert.pem")

# The key lost, the certificate (which clients trust) still there.
mv "$CONF/trawl-ca-key.pem" "$TMP/key.saved"
PP=$(free_port)
timeout 10 "$TRAWL" --mode "regular@$PP" --dump --confdir "$CONF" \
    </dev/null >"$TMP/lost.out" 2>"$TMP/lost.err"
eq "trawl refuses to start without the CA key (exit 1)" "$?" "1"
contains "it names the missing key" "$TMP/lost.err" "trawl-ca-key.pem is missing"
contains "and says why it makes no new CA" "$TMP/lost.err" "will not replace a CA that clients may trust"
check "no new key was made" [ ! -e "$CONF/trawl-ca-key.pem" ]
eq "the certificate is untouched" "$(sha256sum <"$CONF/trawl-ca-cert.pem")" "$before"
"$TRAWL" --confdir "$CONF" ca >"$TMP/ca2.out" 2>&1
eq "trawl ca refuses too (exit 1)" "$?" "1"
contains "with the same explanation" "$TMP/ca2.out" "will not replace"
mv "$TMP/key.saved" "$CONF/trawl-ca-key.pem"

# A key file owned by someone else: its owner could read or swap it.
chown 65534 "$CONF/trawl-ca-key.pem"
timeout 10 "$TRAWL" --mode "regular@$PP" --dump --confdir "$CONF" \
    </dev/null >"$TMP/own.out" 2>"$TMP/own.err"
eq "a key owned by another user is refused (exit 1)" "$?" "1"
contains "the message names the owner" "$TMP/own.err" "owned by uid 65534"
chown 0 "$CONF/trawl-ca-key.pem"

# An expired CA certificate still signs, but clients will refuse: warn.
OLD=$TMP/old
mkdir -m 700 "$OLD"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$OLD/trawl-ca-key.pem" -out "$TMP/old.csr" -subj "/CN=old CA" 2>/dev/null
chmod 600 "$OLD/trawl-ca-key.pem"
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' >"$TMP/caext"
openssl x509 -req -in "$TMP/old.csr" -signkey "$OLD/trawl-ca-key.pem" -days -1 \
    -extfile "$TMP/caext" -out "$OLD/trawl-ca-cert.pem" 2>/dev/null
start_trawl --mode "regular@$PP" --dump --confdir "$OLD"
wait_port 127.0.0.1 "$PP" || exit 1
contains "an expired CA certificate is warned about at start" "$TMP/dump.err" "warning: the CA certificate $OLD/trawl-ca-cert.pem has expired"
stop_trawl
"$TRAWL" --confdir "$OLD" ca >"$TMP/ca3.out" 2>&1
contains "and by trawl ca" "$TMP/ca3.out" "has expired"

# No SNI: CONNECT localhost:port, then a ClientHello without server_name.
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
start_trawl --mode "regular@$PP" --dump --confdir "$TMP/conf2" --upstream-ca "$TMP/ca.pem"
wait_port 127.0.0.1 "$PP" || exit 1
python3 - "$PP" "$OP" "$TMP/conf2/trawl-ca-cert.pem" >"$TMP/nosni" 2>&1 <<'PY'
import socket, ssl, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(("CONNECT localhost:%s HTTP/1.1\r\nHost: localhost\r\n\r\n" % sys.argv[2]).encode())
assert s.recv(4096).startswith(b"HTTP/1.1 200")
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False          # checked below, by hand
ctx.load_verify_locations(sys.argv[3])
t = ctx.wrap_socket(s)              # no server_hostname: no SNI
sans = [v for k, v in t.getpeercert().get("subjectAltName", ()) if k == "DNS"]
print("sans", " ".join(sans))
t.sendall(b"GET /len/5 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
data = b""
while True:
    b = t.recv(65536)
    if not b:
        break
    data += b
print(data.split(b"\r\n")[0].decode())
PY
contains "without SNI the certificate is for the CONNECT host" "$TMP/nosni" "sans localhost"
contains "and the request goes through" "$TMP/nosni" "HTTP/1.1 200 OK"
finish
