#!/bin/sh
# local-rules.sh -- rules in local mode: a captured curl, with no proxy
# settings, gets headers set, a body rewritten, a local file and a block.
[ -n "${LOCAL_E2E_TIMED:-}" ] || LOCAL_E2E_TIMED=1 exec timeout -k 5 90 sh "$0" "$@"
. "$(dirname "$0")/local-common.inc"

start_servers
printf '{"from": "disk"}' >"$T/mock.json"
start_trawl curl --modify-headers '/~q/X-Local-Rule/1' \
    --modify-headers '/~s/X-Resp-Rule/2' \
    --modify-body '/~s & ~u echo/hello/howdy' \
    --map-local "|/mock\\.json\$|$T/mock.json" \
    --block-list '/~u blocked/418'

bgcg curl -sS -m 5 -D "$T/h1" -o "$T/b1" http://192.0.2.1/headers
wait $p || fail "curl /headers"
grep -q "X-Local-Rule: 1" "$T/b1" || fail "request header not set: $(cat "$T/b1")"
ok "a captured client's request gets the rule's header"
grep -qi "^X-Resp-Rule: 2" "$T/h1" || fail "response header not set"
ok "its response gets the rule's header"

bgcg curl -sS -m 5 -D "$T/h2" -o "$T/b2" --data-binary 'hello world' \
    http://192.0.2.1/echo
wait $p || fail "curl /echo"
[ "$(cat "$T/b2")" = "howdy world" ] || fail "body: $(cat "$T/b2")"
grep -qi "^Content-Length: 11" "$T/h2" || fail "length: $(cat "$T/h2")"
ok "a response body is rewritten, with its length"

bgcg curl -sS -m 5 -o "$T/b3" http://192.0.2.1/api/mock.json
wait $p || fail "curl mock"
[ "$(cat "$T/b3")" = '{"from": "disk"}' ] || fail "map-local: $(cat "$T/b3")"
ok "map-local answers from a file"

bgcg curl -s -m 5 -o /dev/null -w '%{http_code}' http://192.0.2.1/blocked \
    >"$T/code"
wait $p
[ "$(cat "$T/code")" = 418 ] || fail "block-list: $(cat "$T/code")"
ok "block-list answers with its status"
waitfor "GET http://192\.0\.2\.1/blocked << 418" || fail "blocked flow missing"
ok "the blocked flow is recorded"
stop_trawl
echo "all passed"
