#!/bin/sh
# SOCKS5 mode: curl --socks5 and --socks5-hostname with HTTP and HTTPS
# (intercepted as local mode's connections are), a login with
# --proxyauth, the reply code of a refused destination, and UDP ASSOCIATE
# carrying a DNS query and a datagram, recorded as DNS and UDP flows.
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

OP=$(free_port); SP=$(free_port); UP=$(free_port); PP=$(free_port)
AP=$(free_port)
start_origin "$OP" || exit 1
python3 "$HERE/origin.py" "$SP" 127.0.0.1 "$TMP/srv.pem" "$TMP/srv.key" \
    >"$TMP/origin-tls.log" 2>&1 &
cleanup_add "kill $!"
/usr/bin/python3 "$HERE/socks5udp.py" server "$UP" &
cleanup_add "kill $!"
wait_port 127.0.0.1 "$SP" || exit 1
CONF=$TMP/conf
start_trawl --mode "socks5@$PP" --dump --confdir "$CONF" \
    --upstream-ca "$TMP/ca.pem" -w "$TMP/s.har"
wait_port 127.0.0.1 "$PP" || exit 1
CA=$CONF/trawl-ca-cert.pem
D=$TMP/dump.out
# A client that starts its greeting and stops: dropped at the deadline
# (10 s; the rest of the test runs meanwhile).
/usr/bin/python3 -c 'import socket,sys
s=socket.create_connection(("127.0.0.1",int(sys.argv[1])),5)
s.sendall(b"\x05\x02")
s.settimeout(20)
print("closed" if s.recv(10)==b"" else "answered")' "$PP" >"$TMP/slow.out" 2>&1 &
SLOW=$!

got=$(curl -s --max-time 10 --socks5-hostname "127.0.0.1:$PP" \
    "http://localhost:$OP/headers" | head -1 | tr -d "\r")
eq "--socks5-hostname: HTTP through trawl" "$got" "GET /headers HTTP/1.1"
contains "the HTTP flow names the host the client asked for" "$D" \
    "GET http://localhost:$OP/headers << 200"
got=$(curl -s --max-time 10 --socks5 "127.0.0.1:$PP" "http://127.0.0.1:$OP/len/4" | wc -c)
eq "--socks5 (an IPv4 address): HTTP through trawl" "$got" "4"
got=$(curl -s --max-time 10 --cacert "$CA" --socks5-hostname "127.0.0.1:$PP" \
    "https://localhost:$SP/len/7" | wc -c)
eq "--socks5-hostname: HTTPS intercepted with trawl's CA" "$got" "7"
contains "the HTTPS flow is decrypted" "$D" "GET https://localhost:$SP/len/7 << 200"
got=$(curl -s --max-time 10 --cacert "$CA" --socks5 "127.0.0.1:$PP" \
    "https://127.0.0.1:$SP/len/3" | wc -c)
eq "--socks5: HTTPS to an IP address intercepted" "$got" "3"

# A destination nobody listens on: reply 0x05 (connection refused).
DEAD=$(free_port)
curl -sS --max-time 10 --socks5 "127.0.0.1:$PP" "http://127.0.0.1:$DEAD/" \
    2>"$TMP/refused.err"
contains "a refused destination gets reply code 5" "$TMP/refused.err" "(5)"
contains "the refused connection is a failed flow" "$D" \
    "tcp 127.0.0.1:$DEAD << up 0b down 0b"
curl -sS --max-time 10 --socks5-hostname "127.0.0.1:$PP" \
    "http://no-such-host.invalid/" 2>"$TMP/unknown.err"
contains "a name that does not resolve gets reply code 4" "$TMP/unknown.err" "(4)"

# UDP ASSOCIATE: a DNS query and a plain datagram.
timeout 10 /usr/bin/python3 "$HERE/socks5udp.py" client "$PP" "$UP" \
    example.test >"$TMP/udp.out" 2>&1
contains "the DNS answer comes back through the association" "$TMP/udp.out" \
    "answer 192.0.2.7"
contains "a datagram is echoed back through the association" "$TMP/udp.out" \
    "echo hello"
contains "the DNS query is a DNS flow" "$D" "dns 127.0.0.1:$UP A example.test << NOERROR"
contains "the datagram is a UDP flow" "$D" "udp 127.0.0.1:$UP << up 5b down 5b"

wait "$SLOW"
contains "a handshake left unfinished is closed at the deadline" \
    "$TMP/slow.out" "closed"
contains "... and recorded" "$D" "SOCKS5 handshake not complete after 10 s"

# Flows record the mode they came through.
stop_trawl
got=$(/usr/bin/python3 -c 'import json,sys
e=json.load(open(sys.argv[1]))["log"]["entries"]
print(sorted(set(x.get("_mode") for x in e)))' "$TMP/s.har")
eq "every flow records its mode in HAR (_mode)" "$got" "['socks5@$PP']"

# --proxyauth: RFC 1929 username/password.
"$TRAWL" --mode "socks5@$AP" --dump --confdir "$CONF" --proxyauth alice:s3cret \
    </dev/null >"$TMP/auth.out" 2>"$TMP/auth.err" &
AUTH_PID=$!
cleanup_add "kill $AUTH_PID"
wait_port 127.0.0.1 "$AP" || exit 1
got=$(curl -s --max-time 10 --socks5 "127.0.0.1:$AP" --proxy-user alice:s3cret \
    "http://127.0.0.1:$OP/len/2" | wc -c)
eq "--proxy-user with the right login gets through" "$got" "2"
curl -s --max-time 10 --socks5 "127.0.0.1:$AP" --proxy-user alice:wrong \
    "http://127.0.0.1:$OP/len/2" >/dev/null
check "a wrong password is refused" test $? -ne 0
curl -s --max-time 10 --socks5 "127.0.0.1:$AP" "http://127.0.0.1:$OP/len/2" \
    >/dev/null
check "no login at all is refused" test $? -ne 0
contains "the refused login is recorded" "$TMP/auth.out" "SOCKS5 login refused"
timeout 10 /usr/bin/python3 "$HERE/socks5udp.py" client "$AP" "$UP" \
    example.test alice s3cret >"$TMP/udp2.out" 2>&1
contains "UDP ASSOCIATE after a login" "$TMP/udp2.out" "echo hello"

# A bad spec or option is an error before anything starts.
"$TRAWL" --mode socks5:x --dump </dev/null >/dev/null 2>"$TMP/bad.err"
contains "a bad socks5 spec names the option" "$TMP/bad.err" "bad --mode 'socks5:x'"
"$TRAWL" --mode socks5 --proxyauth nocolon --dump </dev/null >/dev/null \
    2>"$TMP/bad2.err"
contains "a bad --proxyauth is an error" "$TMP/bad2.err" "bad --proxyauth"
finish
