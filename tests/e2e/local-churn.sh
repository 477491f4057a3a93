#!/bin/sh
# local-churn.sh -- no leaks under churn in local mode (issue 21): after K
# captured clients of each kind that give up at some stage
# (tests/e2e/abandon.py direct: a bare connection to :443 closed, part of
# a ClientHello, a whole one, a finished handshake, half a head, half an
# upload, an abort mid-response over HTTP and HTTPS by reset and by FIN,
# a port that refuses, a server that resets mid-response), trawl soon
# holds no stream, no lwIP pcb, no upstream socket and no socket in
# CLOSE-WAIT, its descriptors are back to what they were, the origin holds
# no connection, the programs' own sockets are closed, trawl uses no CPU
# while idle, and its NAT entries expire (LIMIT_NAT_IDLE_SEC).
[ -n "${LOCAL_E2E_TIMED:-}" ] || LOCAL_E2E_TIMED=1 exec timeout -k 5 90 sh "$0" "$@"
. "$(dirname "$0")/local-common.inc"
K=${CHURN_K:-30}
NATSEC=$(sed -n 's/^#define LIMIT_NAT_IDLE_SEC[[:space:]]*\([0-9]*\).*/\1/p' \
    core/loop/limits.h)
[ -n "$NATSEC" ] || fail "no LIMIT_NAT_IDLE_SEC in core/loop/limits.h"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/ca.key" -out "$T/ca.pem" -days 7 -subj "/CN=Churn CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/srv.key" -out "$T/srv.csr" -subj "/CN=192.0.2.1" 2>/dev/null
printf 'subjectAltName=IP:192.0.2.1\nextendedKeyUsage=serverAuth\n' >"$T/ext"
openssl x509 -req -in "$T/srv.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" \
    -CAcreateserial -out "$T/srv.pem" -days 7 -extfile "$T/ext" 2>/dev/null ||
	fail "test certificates"
start_servers
inb python3 -c '
import socket, ssl, sys
sys.path.insert(0, "tests/e2e")
import origin
origin.Server.request_queue_size = 1024
srv = origin.Server(("192.0.2.1", 443), origin.Handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
srv.socket = ctx.wrap_socket(srv.socket, server_side=True,
                             do_handshake_on_connect=False)
srv.serve_forever()
' "$T/srv.pem" "$T/srv.key"
i=0
until ina curl -s -o /dev/null -m 1 --cacert "$T/ca.pem" https://192.0.2.1/len/1; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "the https origin did not start"
	sleep 0.05
done

start_trawl "curl,python3" --confdir "$T/conf" --upstream-ca "$T/ca.pem"
TCA=$T/conf/trawl-ca-cert.pem
D=$T/dump.out

# stats: this call's own answer (a command substitution is a subshell,
# so the count of earlier answers is read, not kept); empty after 5 s.
stats() {
	n=$(grep -c '^stats ' "$D")
	echo stats >&7
	i=0
	while [ "$(grep -c '^stats ' "$D")" -le "$n" ] && [ $i -lt 50 ]; do
		i=$((i + 1)); sleep 0.1
	done
	grep '^stats ' "$D" | sed -n "$((n + 1))p"
}
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
# Netns A's TCP sockets, "STATE LOCAL PEER PROCESS": trawl's upstream
# ones, and the captured programs' own (their peers are the servers).
socks() { ina ss -tanpH 2>/dev/null | awk '{ print $1, $4, $5, $6 }'; }
upstreams() { socks | grep "pid=$TRAWL_PID," | grep -c -v '^LISTEN'; }
closewait() { socks | grep "pid=$TRAWL_PID," | grep -c '^CLOSE-WAIT'; }
# The programs are gone: any socket toward a server that is not trawl's
# and not in TIME-WAIT is one the netstack never finished.
leftover() { socks | grep -v "pid=$TRAWL_PID," | grep ' 192\.0\.2\.1:' |
    grep -c -v '^TIME-WAIT'; }
origin_open() { ina curl -s -m 2 http://192.0.2.1/open; }
ticks() { sed 's/.*) //' "/proc/$TRAWL_PID/stat" | awk '{ print $12 + $13 }'; }

# Warm up (the CA's leaf for 192.0.2.1), then the baseline.
incg curl -s -o /dev/null -m 5 http://192.0.2.1/len/10 || fail "warm-up http"
incg curl -s -o /dev/null -m 5 --cacert "$TCA" https://192.0.2.1/len/10 ||
	fail "warm-up https"
sleep 0.5
base=$(field "$(stats)" fds)
[ -n "$base" ] || fail "no stats line: $(tail -n 3 "$D")"
ok "baseline: $(stats)"

incg /usr/bin/python3 tests/e2e/abandon.py direct 192.0.2.1:80 \
    192.0.2.1:443 192.0.2.1:9 "$K" ${CHURN_KINDS:-} >"$T/abandon.out" 2>&1
sed 's/^/    /' "$T/abandon.out"
[ "$(grep -c ' done ' "$T/abandon.out")" = "$(echo ${CHURN_KINDS:-1 2 3 4 5 6 7 8 9 10} | wc -w)" ] ||
	fail "abandon.py did not run every kind"

i=0
while :; do
	s=$(stats)
	[ "$(field "$s" clients)$(field "$s" sniffing)$(field "$s" tunnels)" = 000 ] &&
	    [ "$(field "$s" tcp)$(field "$s" pcbs)" = 00 ] &&
	    [ "$(field "$s" fds)" = "$base" ] && [ "$(upstreams)" = 0 ] &&
	    [ "$(closewait)" = 0 ] && [ "$(leftover)" = 0 ] &&
	    [ "$(origin_open)" = 1 ] && break
	i=$((i + 1)); [ $i -gt 25 ] && break
	sleep 0.2
done
echo "    $s"
socks | grep -v -e '^LISTEN' -e '^TIME-WAIT' | head -20 | sed 's/^/    socket /'
bad=0
for f in clients sniffing tunnels tcp pcbs; do
	[ "$(field "$s" $f)" = 0 ] || { echo "not ok - $f=$(field "$s" $f), want 0"; bad=1; }
done
[ "$(field "$s" fds)" = "$base" ] ||
	{ echo "not ok - fds=$(field "$s" fds), want $base"; bad=1; }
[ "$(upstreams)" = 0 ] || { echo "not ok - $(upstreams) upstream sockets open"; bad=1; }
[ "$(closewait)" = 0 ] || { echo "not ok - $(closewait) sockets in CLOSE-WAIT"; bad=1; }
[ "$(leftover)" = 0 ] || { echo "not ok - $(leftover) program sockets not closed"; bad=1; }
[ "$(origin_open)" = 1 ] || { echo "not ok - the origin holds $(($(origin_open) - 1)) connections"; bad=1; }
[ $bad = 0 ] || fail "connections left after the churn"
ok "no stream, pcb, upstream, CLOSE-WAIT socket or origin connection left; fds back to $base"

t0=$(ticks); sleep 2; t1=$(ticks)
[ $((t1 - t0)) -lt 20 ] || fail "idle trawl took $((t1 - t0)) CPU ticks in 2 s"
ok "idle trawl uses no CPU ($((t1 - t0)) ticks in 2 s)"

[ "$(incg curl -s -m 5 http://192.0.2.1/len/1000 | wc -c)" = 1000 ] ||
	fail "trawl no longer serves after the churn"
ok "trawl still serves after the churn"

# Released NAT entries live LIMIT_NAT_IDLE_SEC after their last packet
# (late segments still pass); then none is left but the last request's.
i=0
while [ "$(field "$(stats)" nat)" -gt 1 ] && [ $i -lt $(((NATSEC + 5) * 2)) ]; do
	i=$((i + 1)); sleep 0.5
done
s=$(stats)
[ "$(field "$s" nat)" -le 1 ] || fail "NAT entries left: $s"
ok "NAT entries expired: $s"
stop_trawl TERM
echo PASS
