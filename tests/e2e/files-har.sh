#!/bin/sh
# files-har.sh -- HAR files of any size load entry by entry, in memory that
# does not grow with the file; devices and FIFOs are refused at once; a
# HAR of more than 1 GiB that -w wrote, -r reads back.
. "$(dirname "$0")/lib.sh"
GEN="/usr/bin/python3 $HERE/../../bench/har-gen.py"

# /dev/zero never ends and a FIFO without a writer blocks open(2): both
# are refused at once, before anything is read.
timeout 10 "$TRAWL" -n --dump -r /dev/zero >"$TMP/zero.out" 2>"$TMP/zero.err"
eq "/dev/zero is refused, not read (exit 1)" "$?" "1"
contains "the message says why" "$TMP/zero.err" "not a regular file"
mkfifo "$TMP/fifo"
timeout 10 "$TRAWL" -n --dump -r "$TMP/fifo" >"$TMP/fifo.out" 2>"$TMP/fifo.err"
eq "a FIFO without a writer is refused at once (exit 1)" "$?" "1"
contains "the FIFO's message says why" "$TMP/fifo.err" "not a regular file"

# 1.1 GB of entries, each with 1 MiB of a field trawl does not keep, under
# an address-space limit of 256 MiB: the load holds one entry at a time.
# (Reading it whole took the file's size and more: "out of memory", and
# the file was past the old 1 GiB cap anyway.)
n=$($GEN "$TMP/big.har" 1100 1 1024)
prlimit --as=268435456 "$TRAWL" -n --dump -r "$TMP/big.har" \
    >"$TMP/big.out" 2>"$TMP/big.err"
eq "a 1.1 GB HAR loads in a 256 MiB address space" "$?" "0"
eq "every entry became a flow" "$(wc -l <"$TMP/big.out" | tr -d ' ')" "$n"
check "no warning" [ ! -s "$TMP/big.err" ]
rm -f "$TMP/big.har"

# What -w writes, -r reads: 260 responses of 4 MiB (the body cap, binary,
# so base64) make a HAR past 1 GiB.
OP=$(free_port); PP=$(free_port)
start_origin "$OP"
start_trawl --mode "regular@$PP" --dump -w "$TMP/w.har"
wait_port 127.0.0.1 "$PP" || exit 1
i=0; : >"$TMP/urls"
while [ $i -lt 260 ]; do
	printf 'url = "http://127.0.0.1:%s/len/4194304"\noutput = "/dev/null"\n' \
	    "$OP" >>"$TMP/urls"
	i=$((i + 1))
done
curl -s -x "http://127.0.0.1:$PP" -K "$TMP/urls"
# A flow's dump line and its HAR entry are written as it finishes.
i=0
while [ "$(grep -c '<< 200' "$TMP/dump.out")" -lt 260 ] && [ $i -lt 100 ]; do
	i=$((i + 1)); sleep 0.1
done
stop_trawl
size=$(stat -c %s "$TMP/w.har")
check "-w wrote more than 1 GiB ($size bytes)" [ "$size" -gt 1073741824 ]
"$TRAWL" -n --dump -r "$TMP/w.har" >"$TMP/r.out" 2>"$TMP/r.err"
eq "-r reads the file -w wrote (exit 0)" "$?" "0"
check "no message" [ ! -s "$TMP/r.err" ]
eq "every flow came back" "$(grep -c '<< 200 OK 4.0m' "$TMP/r.out")" "260"
rm -f "$TMP/w.har"
finish
