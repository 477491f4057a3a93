#!/bin/sh
# lwip-fetch.sh DIR -- unpack Debian's lwip source package into DIR.
#
# trawl compiles lwIP itself (DESIGN.md, Core): the prebuilt liblwip is a
# Hurd build with MSS 1460 and a 64 KiB window. The source comes from the
# Debian archive apt already uses, so apt checks its signature; if no
# deb-src entry exists, one is added beside the deb one, for the same URIs,
# suites and keyring. A tree already in DIR is kept, so a second build works
# without network. Needs root only the first time.
set -eu

dir=${1:-build/lwip-src}
# The file every build needs; its presence means the tree is complete
# (it is moved into place only after dpkg-source succeeded).
[ -f "$dir/src/core/tcp.c" ] && exit 0

fail() { echo "lwip-fetch: $*" >&2; exit 1; }

command -v apt-get >/dev/null || fail "apt-get not found (Debian only)"
command -v dpkg-source >/dev/null ||
	fail "dpkg-source not found: install dpkg-dev (make deps)"

# Adds a deb-src sibling of every deb822 stanza that names the Debian
# archive with Types: deb, unless some deb-src entry exists already.
add_deb_src() {
	list=/etc/apt/sources.list.d/trawl-deb-src.sources
	if grep -rqs '^[[:space:]]*Types:.*deb-src' /etc/apt/sources.list.d/ ||
	    grep -qs '^[[:space:]]*deb-src[[:space:]]' /etc/apt/sources.list \
	    /etc/apt/sources.list.d/*.list; then
		return 0
	fi
	[ "$(id -u)" = 0 ] ||
		fail "no deb-src entry in apt's sources; run once as root"
	tmp=$(mktemp)
	# Stanzas are separated by blank lines; keep those with "Types: deb"
	# whose URIs is a Debian archive, and turn them into deb-src.
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk '
		function flush() {
			if (n && deb && debian) {
				for (i = 1; i <= n; i++) print s[i]
				print ""
			}
			n = 0; deb = 0; debian = 0
		}
		/^[[:space:]]*$/ { flush(); next }
		/^[[:space:]]*#/ { next }
		/^Types:/ {
			if ($0 ~ /[[:space:]]deb([[:space:]]|$)/) deb = 1
			s[++n] = "Types: deb-src"; next
		}
		/^URIs:/ { if ($0 ~ /debian\.org\/debian|\/debian\/?$/) debian = 1 }
		{ s[++n] = $0 }
		END { flush() }
		' "$f" >>"$tmp"
	done
	if ! [ -s "$tmp" ]; then
		rm -f "$tmp"
		fail "no Debian archive in /etc/apt/sources.list.d/*.sources"
	fi
	{
		echo "# Added by trawl's build (tests/lwip-fetch.sh): lwIP source."
		cat "$tmp"
	} >"$list"
	rm -f "$tmp"
	chmod 644 "$list"
	echo "lwip-fetch: added $list"
}

add_deb_src
work=$(mktemp -d "${TMPDIR:-/tmp}/trawl-lwip.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

# apt-get source needs the Sources index; update only if it is missing.
if ! apt-get source --download-only --print-uris lwip >/dev/null 2>&1 ||
    ! apt-get source --download-only --print-uris lwip | grep -q "\.dsc'"; then
	[ "$(id -u)" = 0 ] || fail "apt has no Sources index; run as root"
	apt-get update -q >/dev/null || fail "apt-get update failed"
fi
# --download-only, then dpkg-source ourselves: apt has verified the files
# against the signed Sources index; dpkg-source checks the .dsc hashes.
# Their chatter (no keyring for the uploader's signature: apt has checked
# the archive's) goes to a log shown only on failure.
log=$work/log
(cd "$work" && apt-get source -q --download-only lwip) >"$log" 2>&1 ||
	{ cat "$log" >&2; fail "apt-get source lwip failed"; }
dsc=$(ls "$work"/lwip_*.dsc 2>/dev/null | head -n 1)
[ -n "$dsc" ] || fail "no lwip .dsc downloaded"
(cd "$work" && dpkg-source -q -x "$(basename "$dsc")" tree) >"$log" 2>&1 ||
	{ cat "$log" >&2; fail "dpkg-source -x failed"; }
[ -f "$work/tree/src/core/tcp.c" ] || fail "unexpected lwip source layout"
mkdir -p "$(dirname "$dir")"
rm -rf "$dir"
mv "$work/tree" "$dir"
echo "lwip-fetch: $(basename "$dsc" .dsc) in $dir"
