#!/bin/sh
# local-quic.sh -- local mode's QUIC dispatch (issue 17) with ngtcp2's
# gtlsclient (captured by name) and gtlsserver (the origin, netns B):
# --quic passthrough relays the connection and records a flow with the
# SNI from the Initial (dump and HAR); --quic block answers with ICMP port
# unreachable, so the client fails at once, and the flow says blocked;
# --ignore-hosts with intercept relays as passthrough. Interception
# itself (the default): local-h3.sh. Plain UDP and DNS: local-rawdns.sh.
[ -n "${LOCAL_E2E_TIMED:-}" ] || LOCAL_E2E_TIMED=1 exec timeout -k 5 120 sh "$0" "$@"
. "$(dirname "$0")/local-common.inc"
command -v gtlsclient >/dev/null && [ -x /usr/sbin/gtlsserver ] ||
	fail "gtlsclient/gtlsserver missing (make deps: ngtcp2-client ngtcp2-server)"
command -v openssl >/dev/null || fail "openssl missing"

SNI=quic.test.trawl
mkdir "$T/htdocs" "$T/dl"
echo "192.0.2.1 $SNI" >"$T/hosts"
echo "hello over quic" >"$T/htdocs/hello.txt"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/key.pem" -out "$T/cert.pem" -days 1 -subj "/CN=$SNI" \
    >/dev/null 2>&1 || fail "openssl req"
inb /usr/sbin/gtlsserver -q -d "$T/htdocs" 192.0.2.1 4433 "$T/key.pem" \
    "$T/cert.pem"
sleep 0.3

# get: one request; its status in $rc.
get() {
	rm -f "$T/dl/hello.txt"
	# gtlsclient sends an SNI only for a host name (its --sni is not
	# used with a numeric host): the name from a hosts file of its own.
	incg timeout 10 unshare -m sh -c 'mount --bind "$1" /etc/hosts &&
	    exec gtlsclient -q --exit-on-all-streams-close \
	    --handshake-timeout=8s --download="$2" "$3" 4433 \
	    "https://$3:4433/hello.txt"' sh "$T/hosts" "$T/dl" $SNI \
	    >"$T/client.out" 2>&1
	rc=$?
}

# passthrough: the download works, the flow has the SNI and the reason.
start_trawl "gtlsclient" --quic passthrough -w "$T/pass.har"
get
[ $rc = 0 ] && cmp -s "$T/dl/hello.txt" "$T/htdocs/hello.txt" ||
	fail "passthrough: client rc=$rc: $(tail -5 "$T/client.out")"
waitfor "quic sni=$SNI 192.0.2.1:4433 << up [^ ]+ down .*\(passthrough: --quic passthrough\)" 5 ||
	fail "passthrough: no quic flow line"
stop_trawl
grep -q "\"sni\": \"$SNI\"" "$T/pass.har" || fail "passthrough: no SNI in the HAR"
grep -q '"version": "QUIC"' "$T/pass.har" || fail "passthrough: no QUIC in the HAR"
ok "--quic passthrough: the request goes through, the flow has the SNI"

# block: ICMP port unreachable. gtlsclient's socket is not connected and
# never hears ICMP (it resends until its handshake timeout); a connected
# socket sending RFC 9001 A.2's Initial (SNI example.com) hears it at once.
# --quic from the config file, as any long option.
echo "quic = block" >"$T/quic.conf"
start_trawl "gtlsclient,python3" --config "$T/quic.conf"
get
[ -f "$T/dl/hello.txt" ] && fail "block: downloaded"
waitfor "quic sni=$SNI 192.0.2.1:4433 .*QUIC blocked" 5 ||
	fail "block: no flow says blocked"
[ "$(grep -c "quic sni=$SNI .*QUIC blocked" "$T/dump.out")" = 1 ] ||
	fail "block: not one flow for the resent Initials"
incg timeout 10 /usr/bin/python3 -c '
import socket, sys, time
d = open(sys.argv[1], "rb").read()[3:]
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.connect(("192.0.2.1", 4433))
u.settimeout(3)
t0 = time.time()
u.send(d)
try:
    u.recv(2000)
    print("answered")
except ConnectionRefusedError:
    print("refused %.2f" % (time.time() - t0))
except socket.timeout:
    print("timeout")
' tests/fuzz/corpus/quic-initial-fuzzer/a2-datagram >"$T/icmp" 2>&1
grep -q "^refused " "$T/icmp" || fail "block: A.2 Initial: $(cat "$T/icmp")"
waitfor "python3:[0-9]+ quic sni=example.com 192.0.2.1:4433 .*QUIC blocked" 5 ||
	fail "block: no flow for the A.2 Initial"
stop_trawl
ok "--quic block: port unreachable at once ($(cat "$T/icmp")), one flow says blocked"

# intercept with --ignore-hosts on the SNI: passthrough.
start_trawl "gtlsclient" --quic intercept --ignore-hosts "^quic\\.test\\.trawl$"
get
[ $rc = 0 ] && cmp -s "$T/dl/hello.txt" "$T/htdocs/hello.txt" ||
	fail "ignore-hosts: client rc=$rc: $(tail -5 "$T/client.out")"
waitfor "quic sni=$SNI 192.0.2.1:4433 .*\(passthrough: --ignore-hosts\)" 5 ||
	fail "ignore-hosts: no quic flow line"
stop_trawl
ok "--ignore-hosts applies to QUIC: relayed untouched"

