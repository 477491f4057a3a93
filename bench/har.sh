#!/bin/sh
# har.sh -- make bench, section (i): peak RSS of loading a 500 MB HAR,
# and the screen loading a 100,000-flow one.
# Generates two files in trawl's own layout (bench/har-gen.py): entries
# with a 16 KiB body, and many small entries with a 1 KiB body. For each:
# `trawl -n --dump -q -r` under /usr/bin/time -v, then har-bench (the same
# load into the store, with the store's own count of its bytes) and
# har-bench -n (each flow freed as it comes: the loader's own peak).
# Prints Markdown. Not part of make test: it writes 1 GB to /tmp.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
TRAWL=${TRAWL:-$(pwd)/$BUILD/trawl}
TMP=$(mktemp -d /tmp/trawl-harbench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
make -s --no-print-directory "$BUILD/bench/har-bench" >/dev/null || exit 1
/usr/bin/python3 bench/har-gen.py "$TMP/16k.har" 500 16 >/dev/null
/usr/bin/python3 bench/har-gen.py "$TMP/1k.har" 500 1 >/dev/null

echo "| file | trawl -r peak RSS | time |"
echo "| --- | ---: | ---: |"
for f in 16k 1k; do
	/usr/bin/time -v "$TRAWL" -n --dump -q -r "$TMP/$f.har" 2>"$TMP/time" >/dev/null
	rss=$(awk -F': ' '/Maximum resident/ {printf "%.0f MiB", $2 / 1024}' "$TMP/time")
	t=$(awk -F': ' '/Elapsed/ {print $2}' "$TMP/time")
	echo "| 500 MB, $f bodies | $rss | $t |"
done
echo
echo "| har-bench | file | flows loaded | kept | store bytes | peak RSS | peak − store | time |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for f in 16k 1k; do
	printf '| %s, kept |' "$f"; "$BUILD/bench/har-bench" "$TMP/$f.har" | sed 's/^|//'
	printf '| %s, freed |' "$f"; "$BUILD/bench/har-bench" -n "$TMP/$f.har" | sed 's/^|//'
done

# The screen loading a 100,000-flow HAR (issue 20): time to the first
# frame that lists flows and to the last flow, before (the whole load,
# then the screen) and now (the screen first, the load in loop slices),
# with the longest gap between redraws; then w and f over the same flows.
make -s --no-print-directory "$BUILD/bench/load-bench" >/dev/null || exit 1
rm -f "$TMP/16k.har" "$TMP/1k.har"
/usr/bin/python3 bench/har-gen.py "$TMP/100k.har" 240 1 >/dev/null
echo
"$BUILD/bench/load-bench" "$TMP/100k.har"
