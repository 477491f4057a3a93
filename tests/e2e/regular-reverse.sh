#!/bin/sh
# Reverse mode: every request to one server, plain or TLS on either side
# (the client's told from its bytes), Host rewritten to the server's with
# the client's kept as the original; several --mode options at once, each
# flow recording its own.
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

OP=$(free_port); SP=$(free_port); RP=$(free_port); RS=$(free_port)
PP=$(free_port); PQ=$(free_port)
start_origin "$OP" || exit 1
python3 "$HERE/origin.py" "$SP" 127.0.0.1 "$TMP/srv.pem" "$TMP/srv.key" \
    >"$TMP/origin-tls.log" 2>&1 &
cleanup_add "kill $!"
wait_port 127.0.0.1 "$SP" || exit 1
CONF=$TMP/conf
start_trawl --mode "reverse:http://127.0.0.1:$OP@$RP" \
    --mode "reverse:https://localhost:$SP@127.0.0.1:$RS" \
    --mode "regular@$PP" --mode "regular@$PQ" \
    --dump --confdir "$CONF" --upstream-ca "$TMP/ca.pem" -w "$TMP/r.har"
wait_port 127.0.0.1 "$RP" || exit 1
wait_port 127.0.0.1 "$RS" || exit 1
CA=$CONF/trawl-ca-cert.pem
D=$TMP/dump.out
host() { grep -i '^host:' | tr -d '\r'; }

# http:// server, plain client.
got=$(curl -s --max-time 10 "http://localhost:$RP/headers" | host)
eq "reverse http: the server gets its own name in Host" "$got" \
    "Host: 127.0.0.1:$OP"
contains "reverse http: the flow's URL is the server's" "$D" \
    "GET http://127.0.0.1:$OP/headers << 200"
# http:// server, TLS client: trawl's certificate, plain HTTP behind.
got=$(curl -s --max-time 10 --cacert "$CA" "https://localhost:$RP/headers" | host)
eq "reverse http: a TLS client is served with trawl's CA" "$got" \
    "Host: 127.0.0.1:$OP"
got=$(curl -s --max-time 10 --cacert "$CA" --http2 \
    "https://localhost:$RP/len/5" | wc -c)
eq "reverse http: an HTTP/2 client over TLS" "$got" "5"

# https:// server, plain and TLS clients.
got=$(curl -s --max-time 10 "http://127.0.0.1:$RS/headers" | host)
eq "reverse https: a plain client, TLS toward the server" "$got" \
    "Host: localhost:$SP"
contains "reverse https: the flow's URL is the server's" "$D" \
    "GET https://localhost:$SP/headers << 200"
got=$(curl -s --max-time 10 --cacert "$CA" "https://localhost:$RS/headers" | host)
eq "reverse https: TLS on both sides" "$got" "Host: localhost:$SP"
# The certificate names the server, whatever name the client used.
openssl s_client -connect "127.0.0.1:$RS" -servername other.test \
    </dev/null 2>/dev/null | openssl x509 -noout -text >"$TMP/cert.txt" 2>&1
contains "the client's certificate names the server" "$TMP/cert.txt" \
    "DNS:localhost"
contains "... and the name the client asked for" "$TMP/cert.txt" \
    "DNS:other.test"

# Regular mode on two ports beside them.
got=$(curl -s --max-time 10 -x "http://127.0.0.1:$PP" "http://127.0.0.1:$OP/len/3" | wc -c)
eq "regular mode on the first port" "$got" "3"
got=$(curl -s --max-time 10 -x "http://127.0.0.1:$PQ" "http://127.0.0.1:$OP/len/2" | wc -c)
eq "regular mode on the second port" "$got" "2"
contains "--dump says what listens where" "$TMP/dump.err" \
    "reverse:http://127.0.0.1:$OP@$RP listening at 127.0.0.1:$RP"

stop_trawl
/usr/bin/python3 -c 'import json,sys
for e in json.load(open(sys.argv[1]))["log"]["entries"]:
    o = e.get("_origRequest")
    h = [x["value"] for x in (o or {}).get("headers", []) if x["name"].lower() == "host"]
    print(e["request"]["url"], e.get("_mode"), h[0] if h else "-")' \
    "$TMP/r.har" >"$TMP/modes.txt"
contains "a reverse flow records its mode" "$TMP/modes.txt" \
    "http://127.0.0.1:$OP/headers reverse:http://127.0.0.1:$OP@$RP localhost:$RP"
contains "the second reverse mode's flows record it" "$TMP/modes.txt" \
    "https://localhost:$SP/headers reverse:https://localhost:$SP@127.0.0.1:$RS 127.0.0.1:$RS"
contains "a flow of the first regular port records it" "$TMP/modes.txt" \
    "http://127.0.0.1:$OP/len/3 regular@$PP -"
contains "a flow of the second regular port records it" "$TMP/modes.txt" \
    "http://127.0.0.1:$OP/len/2 regular@$PQ -"

# The mode comes back from HAR, and ~mode finds it.
"$TRAWL" -n -r "$TMP/r.har" --dump "~mode '^reverse:https'" </dev/null \
    >"$TMP/loaded.out" 2>&1
eq "~mode selects the loaded flows of one mode" \
    "$(grep -c "GET https://localhost:$SP/headers" "$TMP/loaded.out")" "2"
eq "... and no other" "$(grep -c 'GET ' "$TMP/loaded.out")" "2"

# The config file's modes run unless the command line names its own.
CX=$(free_port); CY=$(free_port)
printf 'mode = socks5@%s\nmode = reverse:http://127.0.0.1:%s@%s\n' "$CX" \
    "$OP" "$CY" >"$TMP/modes.conf"
"$TRAWL" --config "$TMP/modes.conf" --dump </dev/null >/dev/null \
    2>"$TMP/cfg1.err" &
CFG=$!
cleanup_add "kill $CFG"
wait_port 127.0.0.1 "$CY" || { cat "$TMP/cfg1.err"; exit 1; }
contains "the config file's modes all listen" "$TMP/cfg1.err" \
    "socks5@$CX listening at 127.0.0.1:$CX"
kill $CFG; wait $CFG 2>/dev/null
"$TRAWL" --config "$TMP/modes.conf" --mode "regular@$PP" --dump </dev/null \
    >/dev/null 2>"$TMP/cfg2.err" &
CFG=$!
cleanup_add "kill $CFG"
wait_port 127.0.0.1 "$PP" || exit 1
check "the command line's --mode replaces the config file's" \
    sh -c "! grep -q listening.at.127.0.0.1:$CX '$TMP/cfg2.err'"
kill $CFG; wait $CFG 2>/dev/null

# Bad specs are errors that name the option, before anything listens.
for spec in "reverse" "reverse:ftp://x" "reverse:http://h:1/path" \
    "reverse:http://h@notaport" "nosuchmode"; do
	"$TRAWL" --mode "$spec" --dump </dev/null >/dev/null 2>"$TMP/bad.err"
	rc=$?
	contains "--mode $spec is refused" "$TMP/bad.err" "bad --mode '$spec'"
	eq "--mode $spec exits 2" "$rc" "2"
done
finish
