#!/bin/sh
# conn-per-request.sh -- issue 22's case: Python's http.client opens a new
# connection for each of 100 GETs to a server built on http.server (which
# writes the head and the body in two sends), directly and as a program
# captured by local mode, in the same run (tests/e2e/local-*.sh topology).
# Prints a Markdown table of ms per request: the median of ROUNDS
# (default 5) alternating runs, with every run's figure.
# Needs root. Do not run it beside the tests (two shared cores).
LOCAL_ROOT=$(cd "$(dirname "$0")/.." && pwd)
export LOCAL_ROOT
. "$LOCAL_ROOT/tests/e2e/local-common.inc"
ROUNDS=${BENCH_ROUNDS:-5}

start_servers
start_trawl python3

cat >"$T/get100.py" <<'PY'
import http.client, sys, time
t0 = time.perf_counter()
for i in range(100):
    c = http.client.HTTPConnection("192.0.2.1", 80, timeout=10)
    c.request("GET", "/len/100")
    r = c.getresponse()
    assert r.status == 200 and len(r.read()) == 100
    c.close()
print("%.2f" % ((time.perf_counter() - t0) * 1000 / 100))
PY
: >"$T/direct"; : >"$T/local"
i=0
while [ $i -lt "$ROUNDS" ]; do
	ina /usr/bin/python3 "$T/get100.py" >>"$T/direct" || fail "direct run"
	incg /usr/bin/python3 "$T/get100.py" >>"$T/local" || fail "local run"
	i=$((i + 1))
done
med() { sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
all() { tr '\n' ' ' <"$1" | sed 's/ $//'; }
d=$(med "$T/direct"); l=$(med "$T/local")
flows=$(grep -c 'GET http://192\.0\.2\.1/len/100 << 200' "$T/dump.out")
echo "| $(date -u +%Y-%m-%d) \`sh bench/conn-per-request.sh\` (100 GETs, a new connection each) | ms per request, median of $ROUNDS | runs |"
echo "| --- | ---: | --- |"
echo "| direct | $d | $(all "$T/direct") |"
echo "| through trawl, local mode | $l ($(echo "$l $d" | awk '{ printf "%.1f", $1 / $2 }')x) | $(all "$T/local") |"
echo
echo "($flows of $((ROUNDS * 100)) requests seen as flows.)"
stop_trawl TERM
