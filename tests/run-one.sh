#!/bin/sh
# run-one.sh TEST LOGDIR RESULTDIR -- one end-to-end, screen or kernel
# test for tests/run.sh, under a 600 s timeout: its output to LOGDIR, its
# name and exit status to RESULTDIR, one PASS/FAIL line to stdout.
t=$1 log=$2 res=$3
name=${t#tests/}
key=$(echo "$name" | tr / _)
timeout -k 5 600 sh "$t" >"$log/$key.log" 2>&1
rc=$?
printf '%s\n%s\n' "$name" "$rc" >"$res/$key"
if [ "$rc" = 0 ]; then echo "PASS  $name"
else echo "FAIL  $name (exit $rc, log: $log/$key.log)"; fi
