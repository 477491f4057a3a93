#!/bin/sh
# No leaks under churn in regular mode (issue 21): after K clients of each
# kind that give up at some stage (tests/e2e/abandon.py: CONNECT then
# close, part of a ClientHello, a whole one, a finished handshake, half a
# head, half an upload, an abort mid-response over HTTP and HTTPS, an
# upstream that refuses, one that resets mid-response), trawl soon holds
# no client connection and no socket in CLOSE-WAIT, no upstream socket
# (each belonged to a client connection, all gone), its descriptors are
# back to what they were, it uses no CPU while idle, still serves, and
# exits cleanly (the sanitizer build: LeakSanitizer at exit).
. "$(dirname "$0")/lib.sh"
K=${CHURN_K:-30}

cd "$TMP" || exit 1
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout ca.key -out ca.pem -days 7 -subj "/CN=Churn CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout srv.key -out srv.csr -subj "/CN=localhost" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >ext
openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
    -out srv.pem -days 7 -extfile ext 2>/dev/null
cd - >/dev/null || exit 1

OP=$(free_port); OPS=$(free_port); PP=$(free_port); DEAD=$(free_port)
start_origin "$OP"
python3 "$HERE/origin.py" "$OPS" 127.0.0.1 "$TMP/srv.pem" "$TMP/srv.key" \
    >"$TMP/origin-tls.log" 2>&1 &
cleanup_add "kill $!"
wait_port 127.0.0.1 "$OPS" || exit 1
mkfifo "$TMP/ctl"
sleep 600 >"$TMP/ctl" &
cleanup_add "kill $!"
TRAWL_STDIN=$TMP/ctl start_trawl --mode "regular@$PP" --dump -q \
    --confdir "$TMP/conf" --upstream-ca "$TMP/ca.pem"
exec 3>"$TMP/ctl"
wait_port 127.0.0.1 "$PP" || exit 1
X="-x http://127.0.0.1:$PP"
D=$TMP/dump.out

# stats: this call's own answer (a command substitution is a subshell,
# so the count of earlier answers is read, not kept); empty after 5 s.
stats() {
	n=$(grep -c '^stats ' "$D")
	echo stats >&3
	i=0
	while [ "$(grep -c '^stats ' "$D")" -le "$n" ] && [ $i -lt 50 ]; do
		i=$((i + 1)); sleep 0.1
	done
	grep '^stats ' "$D" | sed -n "$((n + 1))p"
}
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
# trawl's TCP sockets, as the kernel sees them: "STATE LOCAL PEER".
socks() {
	ss -tanpH 2>/dev/null | grep "pid=$TRAWL_PID," | awk '{ print $1, $4, $5 }'
}
clients() { socks | awk -v p=":$PP" '$1 != "LISTEN" && substr($2, length($2) - length(p) + 1) == p' | wc -l; }
upstreams() { socks | grep -c -E " [^ ]*:($OP|$OPS)\$"; }
closewait() { socks | grep -c '^CLOSE-WAIT'; }
ticks() { sed 's/.*) //' "/proc/$TRAWL_PID/stat" | awk '{ print $12 + $13 }'; }

# Warm up (the CA's leaf, the resolver), then the baseline.
curl -s -o /dev/null $X "http://127.0.0.1:$OP/len/10"
curl -s -o /dev/null --cacert "$TMP/conf/trawl-ca-cert.pem" $X \
    "https://localhost:$OPS/len/10"
sleep 0.5
base=$(field "$(stats)" fds)
check "a baseline of descriptors ($base)" [ -n "$base" ]

/usr/bin/python3 "$HERE/abandon.py" "proxy:127.0.0.1:$PP" "127.0.0.1:$OP" \
    "localhost:$OPS" "127.0.0.1:$DEAD" "$K" >"$TMP/abandon.out" 2>&1
sed 's/^/    /' "$TMP/abandon.out"
eq "every kind of abandoning client ran" "$(grep -c ' done ' "$TMP/abandon.out")" 10

# Bounded wait: everything released within a few seconds.
i=0
while :; do
	s=$(stats)
	[ "$(field "$s" clients)$(field "$s" sniffing)$(field "$s" tunnels)" = 000 ] &&
	    [ "$(field "$s" fds)" = "$base" ] && [ "$(clients)" = 0 ] &&
	    [ "$(upstreams)" = 0 ] && [ "$(closewait)" = 0 ] && break
	i=$((i + 1)); [ $i -gt 30 ] && break
	sleep 0.2
done
echo "    $s"
socks | grep -v LISTEN | head -20 | sed 's/^/    socket /'
eq "no client connection left (stats)" "$(field "$s" clients)" 0
eq "nothing left sniffing" "$(field "$s" sniffing)" 0
eq "no tunnel left" "$(field "$s" tunnels)" 0
eq "no idle upstream left: each was its client's" "$(field "$s" idle-upstreams)" 0
eq "descriptors back to the baseline" "$(field "$s" fds)" "$base"
eq "no client socket open" "$(clients)" 0
eq "no upstream socket open" "$(upstreams)" 0
eq "no socket in CLOSE-WAIT" "$(closewait)" 0

# Idle: a count of CPU ticks over 2 s (a spinning loop takes ~200).
t0=$(ticks); sleep 2; t1=$(ticks)
check "idle trawl uses no CPU ($((t1 - t0)) ticks in 2 s)" [ $((t1 - t0)) -lt 20 ]

got=$(curl -s $X "http://127.0.0.1:$OP/len/1000" | wc -c)
eq "trawl still serves after the churn" "$got" 1000
exec 3>&-
stop_trawl
eq "trawl exits cleanly" "$TRAWL_RC" 0
finish
