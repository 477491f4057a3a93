#!/bin/sh
# ngtcp2-fetch.sh DIR -- unpack Debian's ngtcp2 source package into DIR.
#
# Debian ships ngtcp2's crypto helper for GnuTLS only; trawl compiles the
# BoringSSL helper (crypto/boringssl/boringssl.c, crypto/shared.c) itself
# against android-libboringssl-dev, so there is one TLS stack (issue 17).
# The source is the same upload as the installed libngtcp2-dev, from the
# Debian archive apt already uses (apt checks its signature). The deb-src
# entry is the one tests/lwip-fetch.sh adds; the GNUmakefile fetches lwIP
# first. A tree already in DIR is kept: a second build needs no network.
set -eu

dir=${1:-build/ngtcp2-src}
[ -f "$dir/crypto/boringssl/boringssl.c" ] && exit 0

fail() { echo "ngtcp2-fetch: $*" >&2; exit 1; }

command -v apt-get >/dev/null || fail "apt-get not found (Debian only)"
command -v dpkg-source >/dev/null ||
	fail "dpkg-source not found: install dpkg-dev (make deps)"
if ! grep -rqs '^[[:space:]]*Types:.*deb-src' /etc/apt/sources.list.d/ &&
    ! grep -qs '^[[:space:]]*deb-src[[:space:]]' /etc/apt/sources.list \
    /etc/apt/sources.list.d/*.list; then
	fail "no deb-src entry in apt's sources: run tests/lwip-fetch.sh once as root"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/trawl-ngtcp2.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

# The helper must match the installed library's version (it includes
# ngtcp2's internal headers), so ask for exactly that source version.
ver=$(dpkg-query -W -f '${Version}' libngtcp2-dev 2>/dev/null) ||
	fail "libngtcp2-dev is not installed (make deps)"
[ -n "$ver" ] || fail "libngtcp2-dev is not installed (make deps)"
log=$work/log
(cd "$work" && apt-get source -q --download-only "ngtcp2=$ver") \
    >"$log" 2>&1 ||
	{ cat "$log" >&2; fail "apt-get source ngtcp2=$ver failed"; }
dsc=$(ls "$work"/ngtcp2_*.dsc 2>/dev/null | head -n 1)
[ -n "$dsc" ] || fail "no ngtcp2 .dsc downloaded"
(cd "$work" && dpkg-source -q -x "$(basename "$dsc")" tree) >"$log" 2>&1 ||
	{ cat "$log" >&2; fail "dpkg-source -x failed"; }
[ -f "$work/tree/crypto/boringssl/boringssl.c" ] &&
    [ -f "$work/tree/lib/ngtcp2_macro.h" ] ||
	fail "unexpected ngtcp2 source layout"
mkdir -p "$(dirname "$dir")"
rm -rf "$dir"
mv "$work/tree" "$dir"
echo "ngtcp2-fetch: $(basename "$dsc" .dsc) in $dir"
