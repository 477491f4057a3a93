#!/bin/sh
# search.sh -- make bench (j): a plain-text search over 100,000 and
# 1,000,000 flows with 1 KiB bodies, beside grep -c over the same bodies
# in one file (issue 20). Prints a Markdown section.
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
make -s "$BUILD/bench/search-bench" >/dev/null || exit 1
echo "## (j) search across flows (issue 20)"
echo
for n in ${SEARCH_FLOWS:-100000 1000000}; do
	"$BUILD/bench/search-bench" "$n"
	echo
done
