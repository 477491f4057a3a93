#!/bin/sh
# run.sh -- every test: unit (cmocka, ASan+UBSan), fuzz targets over their
# seed corpus, the man page lint, the end-to-end and screen tests. Prints
# one line per test and ends with "N passed, N failed".
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
export BUILD
TRAWL=$(pwd)/$BUILD/trawl
TRAWL_ASAN=$(pwd)/$BUILD/trawl-asan
export TRAWL TRAWL_ASAN
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
LOG=$BUILD/test-logs
mkdir -p "$LOG"
pass=0 fail=0 failed=

result() { # name rc
	if [ "$2" = 0 ]; then
		pass=$((pass + 1)); echo "PASS  $1"
	else
		fail=$((fail + 1)); failed="$failed $1"
		echo "FAIL  $1 (exit $2, log: $LOG/$(echo "$1" | tr / _).log)"
		tail -n 30 "$LOG/$(echo "$1" | tr / _).log" | sed 's/^/    | /'
	fi
}

run() { # name timeout cmd...
	name=$1 limit=$2; shift 2
	timeout -k 5 "$limit" "$@" >"$LOG/$(echo "$name" | tr / _).log" 2>&1
	result "$name" $?
}

for t in "$BUILD"/unit/*; do
	[ -x "$t" ] || continue
	run "unit/$(basename "$t")" 300 "$t"
done

for f in "$BUILD"/fuzz/*-fuzzer; do
	[ -x "$f" ] || continue
	n=$(basename "$f")
	run "fuzz/$n" 300 "$f" -runs=0 "tests/fuzz/corpus/$n"
done

run "lint/man" 60 sh -c 'mandoc -Tlint -Wwarning man/*.[0-9]'
run "lint/layers" 60 sh tests/lint-layers.sh

# The end-to-end, screen and kernel tests, $TEST_JOBS at a time (default
# 2: each is mostly waiting, and they share nothing: namespaces, cgroups,
# ports and folders are named per test). Each prints its line as it ends;
# the summary reads their results back in order. tests/kernel: the BPF
# program under Debian 12's own kernel, in qemu, started first as the
# longest.
TEST_JOBS=${TEST_JOBS:-2}
RES=$BUILD/test-results
rm -rf "$RES"; mkdir -p "$RES"
for t in tests/kernel/*.sh tests/e2e/*.sh tests/tui/*.sh; do
	case $t in */lib.sh) continue ;; esac
	[ -f "$t" ] && echo "$t"
done | xargs -P "$TEST_JOBS" -I{} sh tests/run-one.sh {} "$LOG" "$RES"
for r in "$RES"/*; do
	[ -f "$r" ] || continue
	name=$(sed -n 1p "$r") rc=$(sed -n 2p "$r")
	if [ "$rc" = 0 ]; then pass=$((pass + 1))
	else fail=$((fail + 1)); failed="$failed $name"; fi
done
for n in $failed; do
	case $n in unit/*|fuzz/*|lint/*) continue ;; esac
	echo "--- $n: $LOG/$(echo "$n" | tr / _).log"
	tail -n 30 "$LOG/$(echo "$n" | tr / _).log" | sed 's/^/    | /'
done

[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
