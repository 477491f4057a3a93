#!/bin/sh
# local-h3.sh -- QUIC interception in local mode (issue 17): Debian's
# ngtcp2 example server (gtlsserver, HTTP/3 on UDP 443) in netns B, its
# example client (gtlsclient, captured by name) in netns A. Through trawl
# the client gets the body, and trawl's leaf (issuer: trawl's CA) instead
# of the origin's certificate; an origin whose certificate fails
# verification, and one that answers ICMP, never complete the client's
# handshake.
# gtlsclient sends "localhost" as its SNI for a numeric host (its --sni
# is not used then): h3get runs it with the origin's name in a hosts file
# of its own, and trawl verifies the origin for that name.
[ -n "${LOCAL_E2E_TIMED:-}" ] || LOCAL_E2E_TIMED=1 exec timeout -k 5 120 sh "$0" "$@"
. "$(dirname "$0")/local-common.inc"
. tests/e2e/h2-common.inc
for c in gtlsclient gtlsserver; do
	command -v $c >/dev/null || fail "$c missing (ngtcp2-client, ngtcp2-server)"
done

start_servers
h2_certs "$T" "DNS:www.test.trawl,IP:192.0.2.1" || fail "test certificates"
mkdir -p "$T/www"
printf 'hello over h3\n' >"$T/www/small"
inb gtlsserver -q -d "$T/www" 192.0.2.1 443 "$T/srv.key" "$T/srv.pem"
sleep 0.5

echo "192.0.2.1 www.test.trawl" >"$T/hosts"
# h3get TIMEOUT: /small over HTTP/3 in the background ($p), output in $T/err.
h3get() {
	bgcg unshare -m sh -c 'mount --bind "$1" /etc/hosts && shift &&
	    exec gtlsclient "$@"' sh "$T/hosts" --exit-on-all-streams-close \
	    --no-quic-dump --timeout="$1" www.test.trawl 443 \
	    https://www.test.trawl/small >"$T/out" 2>"$T/err"
}

# Interception is the default (no --quic).
start_trawl "gtlsclient" --confdir "$T/conf" --upstream-ca "$T/ca.pem" \
    -w "$T/h3.har"

# gtlsclient (it does not verify) fetches /small over HTTP/3; it dumps
# the response (headers, then the body in hex) on stderr.
h3get 5s
wait $p || fail "gtlsclient through trawl: $(tail -5 "$T/err")"
grep -q "stream 0x0 \[:status: 200\]" "$T/err" &&
    grep -q "|hello over h3.|" "$T/err" ||
	fail "gtlsclient got: $(grep '^http:' "$T/err" | head -20)"
ok "gtlsclient: status and body over HTTP/3 through trawl"
stop_trawl
# The request is a flow like any other: HTTP/3, the URL, the status, the
# body, the process, TLS toward both sides with ALPN h3.
/usr/bin/python3 - "$T/h3.har" <<'PY' || fail "HTTP/3 flow in the HAR"
import json, sys
es = [e for e in json.load(open(sys.argv[1]))["log"]["entries"]
      if e["request"]["url"] == "https://www.test.trawl/small"]
assert len(es) == 1, [e["request"]["url"] for e in es]
e = es[0]
assert e["request"]["httpVersion"] == "HTTP/3", e["request"]["httpVersion"]
assert e["response"]["httpVersion"] == "HTTP/3", e["response"]["httpVersion"]
assert e["response"]["status"] == 200, e["response"]["status"]
assert e["response"]["content"]["text"] == "hello over h3\n", e["response"]["content"]
print("flow ok")
PY
ok "the HTTP/3 request is a flow: version HTTP/3, URL, status and body"

# The exchange layer's rules work on HTTP/3 as on HTTP/1 and HTTP/2: a
# response header set, a URL blocked with 403; a POST body reaches the
# flow; three requests on one QUIC connection are three flows.
printf 'second file\n' >"$T/www/second"
printf 'posted over h3' >"$T/post"
start_trawl "gtlsclient" --confdir "$T/conf" --upstream-ca "$T/ca.pem" \
    -w "$T/rules.har" --modify-headers '/~s/X-Trawl-Rule/h3-set' \
    --block-list '/~u blocked/403'
bgcg unshare -m sh -c 'mount --bind "$1" /etc/hosts && shift &&
    exec gtlsclient "$@"' sh "$T/hosts" --exit-on-all-streams-close \
    --no-quic-dump --timeout=5s -m POST -d "$T/post" -n 3 www.test.trawl 443 \
    https://www.test.trawl/small https://www.test.trawl/second \
    https://www.test.trawl/blocked >"$T/out" 2>"$T/err"
wait $p || fail "gtlsclient, three requests: $(tail -5 "$T/err")"
stop_trawl
grep -q "x-trawl-rule: h3-set" "$T/err" ||
	fail "no rule header at the client: $(grep '^http:' "$T/err" | head)"
grep -q "\[:status: 403\]" "$T/err" ||
	fail "blocked URL not answered 403: $(grep 'status' "$T/err" | head)"
/usr/bin/python3 - "$T/rules.har" <<'PY' || fail "HTTP/3 flows with rules"
import json, sys
es = json.load(open(sys.argv[1]))["log"]["entries"]
by = {e["request"]["url"].rsplit("/", 1)[1]: e for e in es}
assert set(by) == {"small", "second", "blocked"}, list(by)
for name, e in by.items():
    assert e["request"]["method"] == "POST", e["request"]["method"]
    assert e["request"]["httpVersion"] == "HTTP/3"
    assert e["request"]["postData"]["text"] == "posted over h3", e["request"]
assert by["second"]["response"]["content"]["text"] == "second file\n"
hdrs = {h["name"].lower(): h["value"] for h in by["small"]["response"]["headers"]}
assert hdrs.get("x-trawl-rule") == "h3-set", hdrs
assert by["blocked"]["response"]["status"] == 403, by["blocked"]["response"]
print("rules ok")
PY
ok "HTTP/3: three requests, three flows; POST body, a header rule and a block"

# Intercept: an HTTP/3 request pauses (the client waits, the other
# request on the same connection is answered), resume lets it go on;
# kill resets the client's stream and the flow says so.
h3two() {
	bgcg unshare -m sh -c 'mount --bind "$1" /etc/hosts && shift &&
	    exec gtlsclient "$@"' sh "$T/hosts" --exit-on-all-streams-close \
	    --no-quic-dump --timeout=10s -n 2 www.test.trawl 443 \
	    https://www.test.trawl/small https://www.test.trawl/second \
	    >"$T/out" 2>"$T/err"
}
# paused_id N: the id of the Nth paused request for /second.
paused_id() {
	i=0
	while [ "$(grep -c "paused [0-9]* request GET https://www.test.trawl/second" \
	    "$T/dump.out")" -lt "$1" ]; do
		i=$((i + 1)); [ $i -gt 100 ] && fail "the HTTP/3 request did not pause"
		sleep 0.05
	done
	sed -n 's|.*paused \([0-9]*\) request GET https://www.test.trawl/second.*|\1|p' \
	    "$T/dump.out" | sed -n "$1p"
}
start_trawl "gtlsclient" --confdir "$T/conf" --upstream-ca "$T/ca.pem" \
    -w "$T/icpt.har" --intercept '~q & ~u second'
h3two
id=$(paused_id 1)
sleep 0.5
kill -0 $p 2>/dev/null || fail "the client did not wait for the paused request"
grep -q "|hello over h3.|" "$T/err" ||
	fail "the other request on the connection was held up too"
[ "$(ctl "resume $id")" = ok ] || fail "resume $id refused"
wait $p || fail "gtlsclient after resume: $(tail -3 "$T/err")"
grep -q "|second file.|" "$T/err" || fail "the resumed request got no body"
ok "HTTP/3 intercept: the request pauses alone, resume lets it through"
h3two
id=$(paused_id 2)
[ "$(ctl "kill $id")" = ok ] || fail "kill $id refused"
wait $p
grep -q "|second file.|" "$T/err" && fail "a killed request got its body"
waitfor "error: killed by the user" 3 || fail "the kill is not recorded"
# A replay goes out over TCP, where this origin has nothing: a new flow,
# marked a replay, with the error, and trawl goes on.
case $(ctl "replay 1") in "ok replay "*) ;; *) fail "replay of an HTTP/3 flow refused" ;; esac
waitfor "replay GET https://www.test.trawl/small .*Connection refused" 5 ||
	fail "the replay made no flow"
kill -0 $TRAWL_PID || fail "trawl died replaying an HTTP/3 flow"
stop_trawl
ok "HTTP/3 kill: the stream is reset, the flow says killed"

# Without --upstream-ca trawl cannot verify the origin: the client's
# handshake must not complete (it gets no answer, as from a server that
# does not speak QUIC), so gtlsclient fails and never sends its request.
start_trawl "gtlsclient" --quic intercept --confdir "$T/conf" -w "$T/h3.har"
h3get 3s
wait $p && grep -q "|hello over h3.|" "$T/err" &&
	fail "an origin trawl cannot verify still served the client"
grep -q "submit request headers" "$T/err" &&
	fail "the client's handshake completed with an unverified origin"
ok "an origin trawl cannot verify: the client's handshake never completes"
