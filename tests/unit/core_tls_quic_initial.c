/*
 * core_tls_quic_initial.c -- QUIC Initial decryption: the client Initial
 * of RFC 9001 Appendix A.2 (SNI example.com) and its QUIC v2 twin of
 * RFC 9369 A.2, every truncation, flipped bits (the AEAD tag and header
 * protection must catch them), other UDP, and the frame parser and
 * CRYPTO reassembly on their own.
 * Each input sits in a buffer of exactly its size so ASan catches a read
 * past the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/loop/limits.h"
#include "core/tls/quic_initial.h"

/* RFC 9001 A.2: the protected client Initial (1200 bytes), DCID
 * 0x8394c8f03e515708, packet number 2. */
static const char a2_hex[] =
	"c000000001088394c8f03e5157080000449e7b9aec34d1b1c98dd7689fb8ec11"
	"d242b123dc9bd8bab936b47d92ec356c0bab7df5976d27cd449f63300099f399"
	"1c260ec4c60d17b31f8429157bb35a1282a643a8d2262cad67500cadb8e7378c"
	"8eb7539ec4d4905fed1bee1fc8aafba17c750e2c7ace01e6005f80fcb7df6212"
	"30c83711b39343fa028cea7f7fb5ff89eac2308249a02252155e2347b63d58c5"
	"457afd84d05dfffdb20392844ae812154682e9cf012f9021a6f0be17ddd0c208"
	"4dce25ff9b06cde535d0f920a2db1bf362c23e596d11a4f5a6cf3948838a3aec"
	"4e15daf8500a6ef69ec4e3feb6b1d98e610ac8b7ec3faf6ad760b7bad1db4ba3"
	"485e8a94dc250ae3fdb41ed15fb6a8e5eba0fc3dd60bc8e30c5c4287e53805db"
	"059ae0648db2f64264ed5e39be2e20d82df566da8dd5998ccabdae053060ae6c"
	"7b4378e846d29f37ed7b4ea9ec5d82e7961b7f25a9323851f681d582363aa5f8"
	"9937f5a67258bf63ad6f1a0b1d96dbd4faddfcefc5266ba6611722395c906556"
	"be52afe3f565636ad1b17d508b73d8743eeb524be22b3dcbc2c7468d54119c74"
	"68449a13d8e3b95811a198f3491de3e7fe942b330407abf82a4ed7c1b311663a"
	"c69890f4157015853d91e923037c227a33cdd5ec281ca3f79c44546b9d90ca00"
	"f064c99e3dd97911d39fe9c5d0b23a229a234cb36186c4819e8b9c5927726632"
	"291d6a418211cc2962e20fe47feb3edf330f2c603a9d48c0fcb5699dbfe58964"
	"25c5bac4aee82e57a85aaf4e2513e4f05796b07ba2ee47d80506f8d2c25e50fd"
	"14de71e6c418559302f939b0e1abd576f279c4b2e0feb85c1f28ff18f58891ff"
	"ef132eef2fa09346aee33c28eb130ff28f5b766953334113211996d20011a198"
	"e3fc433f9f2541010ae17c1bf202580f6047472fb36857fe843b19f5984009dd"
	"c324044e847a4f4a0ab34f719595de37252d6235365e9b84392b061085349d73"
	"203a4a13e96f5432ec0fd4a1ee65accdd5e3904df54c1da510b0ff20dcc0c77f"
	"cb2c0e0eb605cb0504db87632cf3d8b4dae6e705769d1de354270123cb11450e"
	"fc60ac47683d7b8d0f811365565fd98c4c8eb936bcab8d069fc33bd801b03ade"
	"a2e1fbc5aa463d08ca19896d2bf59a071b851e6c239052172f296bfb5e724047"
	"90a2181014f3b94a4e97d117b438130368cc39dbb2d198065ae3986547926cd2"
	"162f40a29f0c3c8745c0f50fba3852e566d44575c29d39a03f0cda721984b6f4"
	"40591f355e12d439ff150aab7613499dbd49adabc8676eef023b15b65bfc5ca0"
	"6948109f23f350db82123535eb8a7433bdabcb909271a6ecbcb58b936a88cd4e"
	"8f2e6ff5800175f113253d8fa9ca8885c2f552e657dc603f252e1a8e308f76f0"
	"be79e2fb8f5d5fbbe2e30ecadd220723c8c0aea8078cdfcb3868263ff8f09400"
	"54da48781893a7e49ad5aff4af300cd804a6b6279ab3ff3afb64491c85194aab"
	"760d58a606654f9f4400e8b38591356fbf6425aca26dc85244259ff2b19c41b9"
	"f96f3ca9ec1dde434da7d2d392b905ddf3d1f9af93d1af5950bd493f5aa731b4"
	"056df31bd267b6b90a079831aaf579be0a39013137aac6d404f518cfd4684064"
	"7e78bfe706ca4cf5e9c5453e9f7cfd2b8b4c8d169a44e55c88d4a9a7f9474241"
	"e221af44860018ab0856972e194cd934"
	;

/* RFC 9369 A.2: the same Initial under QUIC version 2 (1200 bytes). */
static const char v2_hex[] =
	"d76b3343cf088394c8f03e5157080000449ea0c95e82ffe67b6abcdb4298b485"
	"dd04de806071bf03dceebfa162e75d6c96058bdbfb127cdfcbf903388e99ad04"
	"9f9a3dd4425ae4d0992cfff18ecf0fdb5a842d09747052f17ac2053d21f57c5d"
	"250f2c4f0e0202b70785b7946e992e58a59ac52dea6774d4f03b55545243cf1a"
	"12834e3f249a78d395e0d18f4d766004f1a2674802a747eaa901c3f10cda5500"
	"cb9122faa9f1df66c392079a1b40f0de1c6054196a11cbea40afb6ef5253cd68"
	"18f6625efce3b6def6ba7e4b37a40f7732e093daa7d52190935b8da58976ff33"
	"12ae50b187c1433c0f028edcc4c2838b6a9bfc226ca4b4530e7a4ccee1bfa2a3"
	"d396ae5a3fb512384b2fdd851f784a65e03f2c4fbe11a53c7777c023462239dd"
	"6f7521a3f6c7d5dd3ec9b3f233773d4b46d23cc375eb198c63301c21801f6520"
	"bcfb7966fc49b393f0061d974a2706df8c4a9449f11d7f3d2dcbb90c6b877045"
	"636e7c0c0fe4eb0f697545460c806910d2c355f1d253bc9d2452aaa549e27a1f"
	"ac7cf4ed77f322e8fa894b6a83810a34b361901751a6f5eb65a0326e07de7c12"
	"16ccce2d0193f958bb3850a833f7ae432b65bc5a53975c155aa4bcb4f7b2c4e5"
	"4df16efaf6ddea94e2c50b4cd1dfe06017e0e9d02900cffe1935e0491d77ffb4"
	"fdf85290fdd893d577b1131a610ef6a5c32b2ee0293617a37cbb08b847741c3b"
	"8017c25ca9052ca1079d8b78aebd47876d330a30f6a8c6d61dd1ab5589329de7"
	"14d19d61370f8149748c72f132f0fc99f34d766c6938597040d8f9e2bb522ff9"
	"9c63a344d6a2ae8aa8e51b7b90a4a806105fcbca31506c446151adfeceb51b91"
	"abfe43960977c87471cf9ad4074d30e10d6a7f03c63bd5d4317f68ff325ba3bd"
	"80bf4dc8b52a0ba031758022eb025cdd770b44d6d6cf0670f4e990b22347a7db"
	"848265e3e5eb72dfe8299ad7481a408322cac55786e52f633b2fb6b614eaed18"
	"d703dd84045a274ae8bfa73379661388d6991fe39b0d93debb41700b41f90a15"
	"c4d526250235ddcd6776fc77bc97e7a417ebcb31600d01e57f32162a8560cacc"
	"7e27a096d37a1a86952ec71bd89a3e9a30a2a26162984d7740f81193e8238e61"
	"f6b5b984d4d3dfa033c1bb7e4f0037febf406d91c0dccf32acf423cfa1e70710"
	"10d3f270121b493ce85054ef58bada42310138fe081adb04e2bd901f2f13458b"
	"3d6758158197107c14ebb193230cd1157380aa79cae1374a7c1e5bbcb80ee23e"
	"06ebfde206bfb0fcbc0edc4ebec309661bdd908d532eb0c6adc38b7ca7331dce"
	"8dfce39ab71e7c32d318d136b6100671a1ae6a6600e3899f31f0eed19e3417d1"
	"34b90c9058f8632c798d4490da4987307cba922d61c39805d072b589bd52fdf1"
	"e86215c2d54e6670e07383a27bbffb5addf47d66aa85a0c6f9f32e59d85a44dd"
	"5d3b22dc2be80919b490437ae4f36a0ae55edf1d0b5cb4e9a3ecabee93dfc6e3"
	"8d209d0fa6536d27a5d6fbb17641cde27525d61093f1b28072d111b2b4ae5f89"
	"d5974ee12e5cf7d5da4d6a31123041f33e61407e76cffcdcfd7e19ba58cf4b53"
	"6f4c4938ae79324dc402894b44faf8afbab35282ab659d13c93f70412e85cb19"
	"9a37ddec600545473cfb5a05e08d0b209973b2172b4d21fb69745a262ccde96b"
	"a18b2faa745b6fe189cf772a9f84cbfc"
	;

static unsigned char *
from_hex(const char *hex, size_t *len)
{
	size_t		 n = strlen(hex) / 2, i;
	unsigned char	*b = malloc(n);
	unsigned int	 x;

	assert_non_null(b);
	for (i = 0; i < n; i++) {
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &x), 1);
		b[i] = (unsigned char)x;
	}
	*len = n;
	return b;
}

static unsigned char *
a2(size_t *len)
{
	return from_hex(a2_hex, len);
}

/* Feeds a copy of len bytes of b, in a buffer of exactly that size. */
static int
feed(const unsigned char *b, size_t len, struct tls_hello *h,
    const char **why)
{
	struct quic_initial	*q = core_quic_initial_new();
	unsigned char		*c = malloc(len ? len : 1);
	int			 rc;

	assert_non_null(c);
	memcpy(c, b, len);
	rc = core_quic_initial_feed(q, c, len, h, why);
	free(c);
	core_quic_initial_free(q);
	return rc;
}

static void
test_rfc9001_a2(void **state)
{
	struct quic_initial	*q = core_quic_initial_new();
	struct tls_hello	 h;
	unsigned char		*b;
	size_t			 len;

	(void)state;
	b = a2(&len);
	assert_int_equal(len, 1200);
	assert_int_equal(core_quic_initial_feed(q, b, len, &h, NULL), 1);
	assert_int_equal(h.has_sni, 1);
	assert_string_equal(h.sni, "example.com");
	assert_int_equal(core_tls_peek_max_version(&h), 0x0304);
	assert_int_equal(core_quic_initial_version(q), QUIC_V1);
	/* The same datagram again (a retransmit) says the same. */
	memset(&h, 0, sizeof h);
	assert_int_equal(core_quic_initial_feed(q, b, len, &h, NULL), 1);
	assert_string_equal(h.sni, "example.com");
	core_quic_initial_free(q);
	free(b);
}

static void
test_rfc9369_v2(void **state)
{
	struct quic_initial	*q = core_quic_initial_new();
	struct tls_hello	 h;
	unsigned char		*b;
	size_t			 len;

	(void)state;
	b = from_hex(v2_hex, &len);
	assert_int_equal(len, 1200);
	assert_int_equal(core_quic_initial_feed(q, b, len, &h, NULL), 1);
	assert_string_equal(h.sni, "example.com");
	assert_int_equal(core_quic_initial_version(q), QUIC_V2);
	/* v1's type bits with v2's version: not an Initial. */
	b[0] = (unsigned char)((b[0] & ~0x30) | 0x00);
	assert_int_equal(feed(b, len, &h, NULL), -1);
	core_quic_initial_free(q);
	free(b);
}

static void
test_truncated(void **state)
{
	struct tls_hello	 h;
	unsigned char		*b;
	const char		*why;
	size_t			 len, n;

	(void)state;
	b = a2(&len);
	for (n = 0; n < len; n++) {
		why = NULL;
		assert_int_equal(feed(b, n, &h, &why), -1);
		assert_non_null(why);
	}
	free(b);
}

static void
test_flipped(void **state)
{
	struct tls_hello	 h;
	unsigned char		*b;
	size_t			 len, i;
	int			 bit;

	(void)state;
	b = a2(&len);
	/* Any bit of the header, the packet number, payload or tag. */
	for (i = 0; i < len; i += 7) {
		bit = (int)(i % 8);
		b[i] ^= 1 << bit;
		assert_int_equal(feed(b, len, &h, NULL), -1);
		b[i] ^= 1 << bit;
	}
	assert_int_equal(feed(b, len, &h, NULL), 1);
	free(b);
}

static void
test_not_quic(void **state)
{
	struct tls_hello	 h;
	unsigned char		 b[1500];
	const char		*why;

	(void)state;
	/* A DNS query, padded. */
	memset(b, 0, sizeof b);
	memcpy(b, "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 12);
	assert_int_equal(feed(b, sizeof b, &h, &why), -1);
	assert_string_equal(why, "not a QUIC Initial");
	/* Long header, unknown version (version negotiation bait). */
	memset(b, 0, sizeof b);
	memcpy(b, "\xc0\x1a\x2a\x3a\x4a\x08", 6);
	assert_int_equal(feed(b, sizeof b, &h, NULL), -1);
	/* v1 Handshake type, not Initial. */
	memcpy(b, "\xe0\x00\x00\x00\x01\x08", 6);
	assert_int_equal(feed(b, sizeof b, &h, NULL), -1);
	/* A short header packet. */
	b[0] = 0x40;
	assert_int_equal(feed(b, sizeof b, &h, NULL), -1);
	/* All ones: every length is too long. */
	memset(b, 0xff, sizeof b);
	assert_int_equal(feed(b, sizeof b, &h, NULL), -1);
}

/* A ClientHello with SNI quic.test, ALPN h3 and TLS 1.3, padded by an
 * unknown extension of pad bytes. */
static size_t
make_hello(unsigned char *b, size_t pad)
{
	static const unsigned char head[] = {
		0x03, 0x03,
		/* random */
		1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
		17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
		0x00,			/* session id */
		0x00, 0x02, 0x13, 0x01,	/* TLS_AES_128_GCM_SHA256 */
		0x01, 0x00		/* null compression */
	};
	static const unsigned char ext[] = {
		0x00, 0x00, 0x00, 0x0e, 0x00, 0x0c, 0x00, 0x00, 0x09,
		'q', 'u', 'i', 'c', '.', 't', 'e', 's', 't',
		0x00, 0x10, 0x00, 0x05, 0x00, 0x03, 0x02, 'h', '3',
		0x00, 0x2b, 0x00, 0x03, 0x02, 0x03, 0x04
	};
	size_t n = 4, elen = sizeof ext + 4 + pad;

	memcpy(b + n, head, sizeof head);
	n += sizeof head;
	b[n++] = (unsigned char)(elen >> 8);
	b[n++] = (unsigned char)elen;
	memcpy(b + n, ext, sizeof ext);
	n += sizeof ext;
	b[n++] = 0xfa;			/* an unknown extension */
	b[n++] = 0xfa;
	b[n++] = (unsigned char)(pad >> 8);
	b[n++] = (unsigned char)pad;
	memset(b + n, 0, pad);
	n += pad;
	b[0] = 1;
	b[1] = (unsigned char)((n - 4) >> 16);
	b[2] = (unsigned char)((n - 4) >> 8);
	b[3] = (unsigned char)(n - 4);
	return n;
}

/* A CRYPTO frame (2-byte varints) of data at off into f. */
static size_t
crypto(unsigned char *f, size_t off, const unsigned char *data, size_t len)
{
	f[0] = 0x06;
	f[1] = (unsigned char)(0x40 | off >> 8);
	f[2] = (unsigned char)off;
	f[3] = (unsigned char)(0x40 | len >> 8);
	f[4] = (unsigned char)len;
	memcpy(f + 5, data, len);
	return 5 + len;
}

static void
test_frames_reassembly(void **state)
{
	static unsigned char	 hello[LIMIT_QUIC_CRYPTO + 64], f[8192];
	struct quic_initial	*q = core_quic_initial_new();
	struct tls_hello	 h;
	size_t			 len, n, half;

	(void)state;
	/* Second half first, with PING, ACK and PADDING around it. */
	len = make_hello(hello, 2000);
	half = len / 2;
	f[0] = 0x01;
	memcpy(f + 1, "\x02\x05\x00\x00\x00", 5);
	n = 6 + crypto(f + 6, half, hello + half, len - half);
	memset(f + n, 0, 30);
	assert_int_equal(core_quic_initial_feed_frames(q, f, n + 30, &h, NULL),
	    0);
	/* An overlapping retransmit that agrees, then the first half. */
	n = crypto(f, half - 10, hello + half - 10, 20);
	n += crypto(f + n, 0, hello, half);
	assert_int_equal(core_quic_initial_feed_frames(q, f, n, &h, NULL), 1);
	assert_string_equal(h.sni, "quic.test");
	assert_int_equal(core_tls_peek_alpn_has(&h, "h3"), 1);
	core_quic_initial_free(q);

	/* As big as LIMIT_QUIC_CRYPTO allows, in 4000-byte frames. */
	q = core_quic_initial_new();
	len = make_hello(hello, LIMIT_QUIC_CRYPTO - 200);
	assert_true(len > LIMIT_QUIC_CRYPTO - 300 && len <= LIMIT_QUIC_CRYPTO);
	for (n = 0; n < len; n += half) {
		half = len - n < 4000 ? len - n : 4000;
		assert_int_equal(core_quic_initial_feed_frames(q, f,
		    crypto(f, n, hello + n, half), &h, NULL),
		    n + half < len ? 0 : 1);
	}
	assert_string_equal(h.sni, "quic.test");
	core_quic_initial_free(q);
}

static void
test_frames_bad(void **state)
{
	static unsigned char	 hello[LIMIT_QUIC_CRYPTO + 64], f[8192];
	struct quic_initial	*q;
	struct tls_hello	 h;
	const char		*why;
	size_t			 len, n;

	(void)state;
	len = make_hello(hello, 100);
	/* A retransmit that disagrees. */
	q = core_quic_initial_new();
	n = crypto(f, 0, hello, 50);
	assert_int_equal(core_quic_initial_feed_frames(q, f, n, &h, NULL), 0);
	f[5 + 10] ^= 1;
	assert_int_equal(core_quic_initial_feed_frames(q, f, n, &h, &why), -1);
	assert_string_equal(why, "ClientHello too big or inconsistent");
	core_quic_initial_free(q);
	/* Past LIMIT_QUIC_CRYPTO. */
	q = core_quic_initial_new();
	n = crypto(f, LIMIT_QUIC_CRYPTO - 10, hello, 20);
	assert_int_equal(core_quic_initial_feed_frames(q, f, n, &h, NULL), -1);
	core_quic_initial_free(q);
	/* A hello that says it is longer than the limit. */
	q = core_quic_initial_new();
	memcpy(f + 100, "\x01\x00\x50\x00", 4);
	n = crypto(f, 0, f + 100, 4);
	assert_int_equal(core_quic_initial_feed_frames(q, f, n, &h, &why), -1);
	assert_string_equal(why, "ClientHello too big");
	core_quic_initial_free(q);
	/* Not a ClientHello (a ServerHello). */
	q = core_quic_initial_new();
	hello[0] = 2;
	n = crypto(f, 0, hello, len);
	assert_int_equal(core_quic_initial_feed_frames(q, f, n, &h, NULL), -1);
	hello[0] = 1;
	core_quic_initial_free(q);
	/* A STREAM frame has no place in an Initial. */
	q = core_quic_initial_new();
	assert_int_equal(core_quic_initial_feed_frames(q, "\x08\x00\x00", 3,
	    &h, &why), -1);
	assert_string_equal(why, "frame not allowed in an Initial");
	/* A CRYPTO frame longer than the packet. */
	n = crypto(f, 0, hello, 50);
	assert_int_equal(core_quic_initial_feed_frames(q, f, n - 1, &h, &why),
	    -1);
	assert_string_equal(why, "malformed frame");
	core_quic_initial_free(q);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc9001_a2),
		cmocka_unit_test(test_rfc9369_v2),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_flipped),
		cmocka_unit_test(test_not_quic),
		cmocka_unit_test(test_frames_reassembly),
		cmocka_unit_test(test_frames_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
