#!/bin/sh
# --pcap in regular mode: each finished flow, HTTP and HTTPS (decrypted),
# goes into the file as a synthesized TCP conversation that tshark reads
# back as the requests trawl recorded.
. "$(dirname "$0")/lib.sh"

command -v tshark >/dev/null || { not_ok "tshark is installed (make deps)"; finish; }
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
start_trawl --mode "regular@$PP" --dump --confdir "$CONF" \
    --upstream-ca "$TMP/ca.pem" --pcap "$TMP/reg.pcapng"
wait_port 127.0.0.1 "$PP" || exit 1
X="-x http://127.0.0.1:$PP"

curl -s --max-time 10 $X "http://127.0.0.1:$OP/status/418" -o /dev/null
curl -s --max-time 10 $X "http://127.0.0.1:$OP/len/5000" -o /dev/null
curl -s --max-time 10 --cacert "$CONF/trawl-ca-cert.pem" $X \
    "https://localhost:$SP/len/3000" -o /dev/null
stop_trawl
eq "trawl exits cleanly" "$TRAWL_RC" 0
eq "the file is private" "$(stat -c %a "$TMP/reg.pcapng")" 600

tshark -r "$TMP/reg.pcapng" -Y http.request -T fields -e http.request.uri \
    >"$TMP/uris" 2>"$TMP/tshark.err"
contains "tshark shows the HTTP request" "$TMP/uris" "/status/418"
contains "and the second one" "$TMP/uris" "/len/5000"
contains "and the HTTPS one, decrypted" "$TMP/uris" "/len/3000"
tshark -r "$TMP/reg.pcapng" -Y http.response -T fields \
    -e http.response.code >"$TMP/codes" 2>>"$TMP/tshark.err"
contains "the responses are there too" "$TMP/codes" "418"
eq "three responses" "$(wc -l <"$TMP/codes")" 3
tshark -r "$TMP/reg.pcapng" -o tcp.check_checksum:TRUE \
    -Y "tcp.checksum.status == 0 || ip.checksum.status == 0" \
    >"$TMP/bad" 2>>"$TMP/tshark.err"
eq "every checksum verifies" "$(wc -l <"$TMP/bad")" 0

# Without local mode the refusal is gone; a bad path is still an error.
"$TRAWL" --mode "regular@$(free_port)" --dump --pcap /nonexistent/x.pcapng \
    </dev/null >/dev/null 2>"$TMP/bad.err" &
p=$!; i=0
while kill -0 $p 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
kill $p 2>/dev/null
contains "an unwritable --pcap is refused" "$TMP/bad.err" "/nonexistent/x.pcapng"
finish
