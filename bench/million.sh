#!/bin/sh
# million.sh -- make bench, section (r) (issue 16): a million flows put
# into the store through the core API (bench/million-bench.c, not through
# sockets), bodyless and with 1 KiB bodies: RSS, what the store's budget
# keeps and evicts, redraw and filter times; the store alone for its RSS
# without the view. Then a 100,000-flow HAR (bench/har-gen.py, 1 KiB
# bodies): har-bench's load time and peak RSS against the store bytes of
# the flows, and `trawl -n --dump -q -r` under /usr/bin/time -v.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
TRAWL=${TRAWL:-$(pwd)/$BUILD/trawl}
TMP=$(mktemp -d /tmp/trawl-million.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
make -s --no-print-directory "$BUILD/bench/million-bench" \
    "$BUILD/bench/har-bench" >/dev/null || exit 1
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
"$BUILD/bench/million-bench" -s 1000000
echo
"$BUILD/bench/million-bench" 1000000
echo
"$BUILD/bench/million-bench" -b 1024 1000000
echo
# Every flow kept (the budget raised to 4 GiB): redraw and filter over a
# full million.
"$BUILD/bench/million-bench" -B 4096 1000000
echo
/usr/bin/python3 bench/har-gen.py "$TMP/100k.har" 240 1 >/dev/null
echo "| 100,000-flow HAR, har-bench | file | flows loaded | kept | store bytes | peak RSS | peak − store | time |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
printf '| kept |'; "$BUILD/bench/har-bench" "$TMP/100k.har" | sed 's/^|//'
printf '| freed |'; "$BUILD/bench/har-bench" -n "$TMP/100k.har" | sed 's/^|//'
/usr/bin/time -v "$TRAWL" -n --dump -q -r "$TMP/100k.har" 2>"$TMP/time" >/dev/null
echo
echo "trawl -n --dump -q -r: peak RSS" \
    "$(awk -F': ' '/Maximum resident/ {printf "%.0f MiB", $2 / 1024}' "$TMP/time")," \
    "$(awk -F': ' '/Elapsed/ {print $2}' "$TMP/time")"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
