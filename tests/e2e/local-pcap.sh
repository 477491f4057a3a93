#!/bin/sh
# local-pcap.sh -- `--pcap FILE` in local mode writes the packets as they
# crossed the tun in a pcapng (mode 0600) with the client side's TLS
# secrets in Decryption Secrets Blocks: Debian's tshark, given nothing but
# the file, shows the decrypted HTTP requests, and they are the requests
# of trawl's flows; without the secrets block it cannot.
[ -n "${LOCAL_E2E_TIMED:-}" ] || LOCAL_E2E_TIMED=1 exec timeout -k 5 90 sh "$0" "$@"
. "$(dirname "$0")/local-common.inc"
command -v tshark >/dev/null && command -v editcap >/dev/null ||
	fail "tshark missing (make deps)"

start_servers
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/ca.key" -out "$T/ca.pem" -days 7 -subj "/CN=Pcap Test CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/srv.key" -out "$T/srv.csr" -subj "/CN=www.test.trawl" 2>/dev/null
printf 'subjectAltName=DNS:www.test.trawl,IP:192.0.2.1\n' >"$T/ext"
openssl x509 -req -in "$T/srv.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" \
    -CAcreateserial -out "$T/srv.pem" -days 7 -extfile "$T/ext" 2>/dev/null ||
	fail "test certificates"
inb python3 tests/e2e/origin.py 443 192.0.2.1 "$T/srv.pem" "$T/srv.key"
i=0
until ina curl -s -o /dev/null -m 1 --cacert "$T/ca.pem" https://192.0.2.1/len/1; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "https server did not start"
	sleep 0.05
done

# TLS 1.3 and 1.2, one connection with two requests, and plain HTTP.
cat >"$T/script.sh" <<'EOF'
curl -sS -m 5 -o /dev/null https://192.0.2.1/len/21 || exit 1
curl -sS -m 5 --tls-max 1.2 -o /dev/null https://192.0.2.1/len/22 || exit 1
curl -sS -m 5 -o /dev/null -o /dev/null https://192.0.2.1/len/23 \
    https://192.0.2.1/len/24 || exit 1
curl -sS -m 5 -o /dev/null http://192.0.2.1/len/25 || exit 1
EOF
touch "$T/out.pcapng" && chmod 644 "$T/out.pcapng"
nsenter --net=/run/netns/$A "$TRAWL" run --cgroup "$CG" --dump \
    --confdir "$T/conf" --upstream-ca "$T/ca.pem" --pcap "$T/out.pcapng" \
    -- sh "$T/script.sh" >"$T/dump.out" 2>"$T/trawl.err" ||
	fail "trawl run: exit $?"
grep -q "TLS secrets to $T/out.pcapng" "$T/trawl.err" || fail "--pcap not said"
[ "$(stat -c %a "$T/out.pcapng")" = 600 ] ||
	fail "pcap mode $(stat -c %a "$T/out.pcapng")"
ok "the pcapng is written 0600"

# What trawl's flows recorded, and what tshark decrypts from the file.
sed -n 's/.* GET \(https\{0,1\}:\/\/[^ ]*\) << 200 .*/\1/p' "$T/dump.out" |
    sort >"$T/flows"
[ "$(wc -l <"$T/flows")" = 5 ] || fail "expected 5 flows: $(cat "$T/flows")"
tshark -r "$T/out.pcapng" -Y http.request -T fields \
    -e http.request.full_uri 2>"$T/tshark.err" | sort >"$T/decrypted" ||
	fail "tshark: $(cat "$T/tshark.err")"
diff "$T/flows" "$T/decrypted" >"$T/diff" ||
	fail "tshark's requests are not the flows: $(cat "$T/diff")"
ok "tshark -Y http shows the 5 requests of the flows, 4 of them decrypted"
tshark -r "$T/out.pcapng" -Y 'http.response.code == 200' 2>/dev/null |
    grep -c HTTP >"$T/nresp"
[ "$(cat "$T/nresp")" = 5 ] || fail "$(cat "$T/nresp") responses decrypted, not 5"
ok "and their 5 responses"
# Four connections (/len/23 and /len/24 share one), seen both ways.
for ack in 0 1; do
	n=$(tshark -r "$T/out.pcapng" -Y "tcp.flags.syn == 1 && tcp.flags.ack == $ack" \
	    2>/dev/null | wc -l)
	[ "$n" = 4 ] || fail "$n SYNs (ack $ack) in the capture, not 4"
done
ok "both directions: every connection from its SYN and SYN-ACK"

# Without the secrets the same packets stay encrypted.
editcap --discard-all-secrets "$T/out.pcapng" "$T/nokeys.pcapng" ||
	fail editcap
n=$(tshark -r "$T/nokeys.pcapng" -Y http.request 2>/dev/null | wc -l)
[ "$n" = 1 ] || fail "$n requests readable without the secrets, not 1"
ok "the secrets block is what decrypts them"
echo PASS
