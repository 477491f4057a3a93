#!/bin/sh
# local-connections.sh -- in local mode the server sees the program's own
# connections (issue 22), over HTTP and HTTPS: N captured connections
# reach the origin as N (its /peer tells each request's address), one
# keep-alive connection with several requests as one; the origin's side
# closes soon after the program's (a bounded wait); a replay opens a
# connection of its own and closes it after the answer.
[ -n "${LOCAL_E2E_TIMED:-}" ] || LOCAL_E2E_TIMED=1 exec timeout -k 5 90 sh "$0" "$@"
. "$(dirname "$0")/local-common.inc"
N=5

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/ca.key" -out "$T/ca.pem" -days 7 -subj "/CN=Conn CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/srv.key" -out "$T/srv.csr" -subj "/CN=192.0.2.1" 2>/dev/null
printf 'subjectAltName=IP:192.0.2.1\nextendedKeyUsage=serverAuth\n' >"$T/ext"
openssl x509 -req -in "$T/srv.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" \
    -CAcreateserial -out "$T/srv.pem" -days 7 -extfile "$T/ext" 2>/dev/null ||
	fail "test certificates"
start_servers
inb python3 tests/e2e/origin.py 443 192.0.2.1 "$T/srv.pem" "$T/srv.key"
i=0
until ina curl -s -o /dev/null -m 1 --cacert "$T/ca.pem" https://192.0.2.1/len/1; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "the https origin did not start"
	sleep 0.05
done

start_trawl "curl,python3" --confdir "$T/conf" --upstream-ca "$T/ca.pem"
TCA=$T/conf/trawl-ca-cert.pem
D=$T/dump.out

# The origin's own word, asked from outside the cgroup (not captured).
ask() { # http|https PATH
	if [ "$1" = http ]; then ina curl -s -m 2 "http://192.0.2.1$2"
	else ina curl -s -m 2 --cacert "$T/ca.pem" "https://192.0.2.1$2"; fi
}
distinct() { sort -u "$1" | wc -l; }
open_is() { # http|https WANT: bounded wait (2 s)
	i=0
	while [ "$(ask "$1" /open)" != "$2" ] && [ $i -lt 20 ]; do
		i=$((i + 1)); sleep 0.1
	done
	[ "$(ask "$1" /open)" = "$2" ]
}

for s in http https; do
	U=$s://192.0.2.1; C=""; [ $s = https ] && C="--cacert $TCA"
	: >"$T/$s.peers"
	i=0
	while [ $i -lt $N ]; do
		incg curl -s -m 5 $C "$U/peer" >>"$T/$s.peers"
		echo >>"$T/$s.peers"
		i=$((i + 1))
	done
	[ "$(distinct "$T/$s.peers")" = $N ] ||
		fail "$s: $N connections reached the origin as $(distinct "$T/$s.peers")"
	ok "$s: $N captured connections reach the origin as $N"
	incg curl -s -m 5 $C "$U/peer" -o "$T/$s.ka1" "$U/peer" -o "$T/$s.ka2" \
	    "$U/peer" -o "$T/$s.ka3" "$U/peer" -o "$T/$s.ka4"
	for f in 1 2 3 4; do cat "$T/$s.ka$f"; echo; done >"$T/$s.ka"
	[ "$(grep -c . "$T/$s.ka")/$(distinct "$T/$s.ka")" = 4/1 ] ||
		fail "$s: one keep-alive connection's 4 requests came as: $(sort "$T/$s.ka" | uniq -c)"
	grep -qxF "$(head -n 1 "$T/$s.ka")" "$T/$s.peers" &&
		fail "$s: the keep-alive connection reused an earlier one's"
	ok "$s: one keep-alive connection, 4 requests, reaches it as one of its own"

	open_is $s 1 || fail "$s: the origin holds $(($(ask $s /open) - 1)) connections between clients"
	rm -f "$T/held" "$T/go"
	tls=0; [ $s = https ] && tls=1
	bgcg /usr/bin/python3 tests/e2e/hold.py direct 192.0.2.1:$([ $s = http ] &&
	    echo 80 || echo 443) $tls "$T" >"$T/hold.out" 2>&1
	i=0; while [ ! -f "$T/held" ] && [ $i -lt 50 ]; do i=$((i + 1)); sleep 0.1; done
	[ "$(ask $s /open)" = 2 ] ||
		fail "$s: the origin holds $(ask $s /open) connections while the program holds one (want 2, with the asking one)"
	touch "$T/go"
	wait $p
	open_is $s 1 || fail "$s: the origin's side still open 2 s after the program closed"
	ok "$s: the origin's side is open while the program's is, and closes after it"
done

# Replays: flow 1 (http) and the first https one, each a connection of
# its own, closed after the answer.
for s in http https; do
	if [ $s = http ]; then id=1; else id=$((N + 5 + 1)); fi
	before=$(ask $s /conns)
	echo "replay $id" >&7
	waitfor " replay GET $s://192\.0\.2\.1/peer << 200" 5 ||
		fail "$s: the replay of flow $id did not run: $(tail -n 3 "$D")"
	[ "$(($(ask $s /conns) - before))" = 2 ] ||
		fail "$s: the replay did not open a connection of its own"
	open_is $s 1 || fail "$s: the replay's connection stays open"
	ok "$s: a replay opens its own connection and closes it after the answer"
done
stop_trawl TERM
echo PASS
