#!/bin/sh
# local-tls-sniff.sh -- no silent TLS bypass (issue 11, item 5) on
# transparent connections: a captured client's ClientHello split by a
# 1.5 s pause is intercepted; hellos trawl cannot parse are relayed as
# TLS passthrough with the reason; a client that closes mid-hello is a
# TLS flow with an error; none of them is a plain tcp flow. (The stalled
# hello, which waits out the 10 s handshake deadline, is covered through
# CONNECT by regular-tls-sniff.sh: the sniffer is the same.)
[ -n "${LOCAL_E2E_TIMED:-}" ] || LOCAL_E2E_TIMED=1 exec timeout -k 5 90 sh "$0" "$@"
. "$(dirname "$0")/local-common.inc"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/ca.key" -out "$T/ca.pem" -days 7 -subj "/CN=Local Sniff CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/srv.key" -out "$T/srv.csr" -subj "/CN=192.0.2.1" 2>/dev/null
printf 'subjectAltName=IP:192.0.2.1\nextendedKeyUsage=serverAuth\n' >"$T/ext"
openssl x509 -req -in "$T/srv.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" \
    -CAcreateserial -out "$T/srv.pem" -days 7 -extfile "$T/ext" 2>/dev/null ||
	fail "test certificates"
inb python3 tests/e2e/origin.py 443 192.0.2.1 "$T/srv.pem" "$T/srv.key"
inb python3 tests/e2e/tlshello.py server 192.0.2.1 4433 "$T/fake.log"
i=0
until ina python3 -c 'import socket
for p in 443, 4433:
    socket.create_connection(("192.0.2.1", p), 0.2).close()' 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "servers did not start"
	sleep 0.05
done
sleep 0.2
: >"$T/fake.log"

start_trawl "python3" --confdir "$T/conf" --upstream-ca "$T/ca.pem" \
    --ignore-hosts '^ignored\.example$' -w "$T/flows.har"
D=$T/dump.out
H="python3 tests/e2e/tlshello.py"
client() { sed -n 's/^client //p' "$1"; }

incg $H split direct 192.0.2.1:443 "$T/conf/trawl-ca-cert.pem" 1.5 /len/5 \
    >"$T/split" 2>&1
grep -q "issuer trawl" "$T/split" && grep -q "status HTTP/1.1 200 OK" "$T/split" ||
	fail "split hello: $(cat "$T/split")"
c=$(client "$T/split")
waitfor "^[^ ]* $c python3:[0-9]+ GET https://192\.0\.2\.1/len/5 << 200 OK" ||
	fail "the split hello is not an https flow with its request"
ok "a hello split by 1.5 s is intercepted: an https flow with the request"

for k in empty-sni long-sni nul-sni ignored-sni; do
	incg $H bad direct 192.0.2.1:4433 $k >"$T/bad-$k" 2>&1
	sent=$(sed -n 's/^sent \(.*\)/\1/p' "$T/bad-$k")
	grep -q "got $sent" "$T/fake.log" || fail "$k: the hello did not reach the server untouched"
	grep -q "got 15030300020228" "$T/bad-$k" || fail "$k: no answer from the server"
	c=$(client "$T/bad-$k")
	if [ $k = ignored-sni ]; then
		waitfor "^[^ ]* $c python3:[0-9]+ tls-passthrough sni=ignored\.example 192\.0\.2\.1:4433 << up .*\(passthrough: --ignore-hosts\)" ||
			fail "the hand-built hello with a good SNI is not parsed"
	else
		waitfor "^[^ ]* $c python3:[0-9]+ tls-passthrough 192\.0\.2\.1:4433 << up .*\(passthrough: ClientHello not understood\)" ||
			fail "$k: not a TLS passthrough with its reason"
	fi
	ok "$k: relayed untouched, recorded as TLS passthrough with the reason"
done

incg $H cut direct 192.0.2.1:4433 >"$T/cut" 2>&1
c=$(client "$T/cut")
waitfor "^[^ ]* $c python3:[0-9]+ .*error: client closed the connection during its TLS ClientHello" ||
	fail "the hello cut by the client's close has no flow with the error"
ok "a client closing mid-hello is recorded with the error"

sleep 0.3
python3 - "$T/flows.har" "$T"/split "$T"/bad-* "$T"/cut >"$T/har-check" 2>&1 <<'PY'
import json, sys
entries = json.load(open(sys.argv[1]))["log"]["entries"]
for path in sys.argv[2:]:
    client = [l.split()[1] for l in open(path) if l.startswith("client ")][0]
    mine = [e for e in entries if e.get("_client") == client]
    tls = [e for e in mine if e.get("_clientTLS", {}).get("present")]
    print("%s %s: %d flows, %d with client TLS" % (
        "ok" if len(mine) == 1 and len(tls) == 1 else "BAD",
        path.rsplit("/", 1)[1], len(mine), len(tls)))
PY
grep -q BAD "$T/har-check" && fail "HAR: $(cat "$T/har-check")"
ok "every client that sent 0x16 is one flow with client TLS in the HAR"
# (A cut hello's flow still reads "tcp" in --dump: regular-tls-sniff.sh
# checks that, and fails on it, for both modes' shared front end.)
for f in "$T"/split "$T"/bad-*; do
	c=$(client "$f")
	grep -q "^[^ ]* $c python3:[0-9]* tcp " "$D" &&
		fail "$(basename "$f") is shown as plain tcp"
done
ok "no intercepted or passed-through hello is shown as plain tcp"
stop_trawl
echo PASS
