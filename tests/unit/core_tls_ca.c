/*
 * core_ca.c -- trawl's CA: files and modes in the confdir, reuse on the
 * second load, leaves that verify against the CA with the properties
 * browsers demand, the LRU cap.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/ec_key.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/loop/limits.h"
#include "core/tls/ca.h"

static char	tmpdir[64];
static char	confdir[128];

static char *
path_in(const char *name)
{
	static char	p[256];

	snprintf(p, sizeof p, "%s/%s", confdir, name);
	return p;
}

static int
setup(void **state)
{
	strcpy(tmpdir, "/tmp/trawl-ca-test-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	/* Two levels that do not exist yet: load must make them. */
	snprintf(confdir, sizeof confdir, "%s/config/trawl", tmpdir);
	return 0;
}

static int
teardown(void **state)
{
	char	p[256];

	unlink(path_in(CA_KEY_FILE));
	unlink(path_in(CA_CERT_FILE));
	unlink(path_in(CA_CERT_DER));
	rmdir(confdir);
	snprintf(p, sizeof p, "%s/config", tmpdir);
	rmdir(p);
	rmdir(tmpdir);
	return 0;
}

static struct ca *
load(void)
{
	char		*cause = NULL;
	struct ca	*ca = core_ca_load_or_create(confdir, &cause);

	if (ca == NULL)
		fail_msg("load: %s", cause);
	return ca;
}

static double
asn1_seconds(const ASN1_TIME *t)
{
	ASN1_TIME	*epoch = ASN1_TIME_set(NULL, 0);
	int		 d = 0, s = 0;

	assert_true(ASN1_TIME_diff(&d, &s, epoch, t));
	ASN1_TIME_free(epoch);
	return (double)d * 86400 + s;
}

/* 0 when leaf verifies against the CA as a TLS server for host or ip. */
static int
verify(struct ca *ca, X509 *leaf, const char *host, const char *ip)
{
	X509_STORE	*store = X509_STORE_new();
	X509_STORE_CTX	*ctx = X509_STORE_CTX_new();
	X509_VERIFY_PARAM *param;
	int		 ok;

	assert_true(X509_STORE_add_cert(store, core_ca_cert(ca)));
	assert_true(X509_STORE_CTX_init(ctx, store, leaf, NULL));
	param = X509_STORE_CTX_get0_param(ctx);
	assert_true(X509_VERIFY_PARAM_set_purpose(param,
	    X509_PURPOSE_SSL_SERVER));
	if (host != NULL)
		assert_true(X509_VERIFY_PARAM_set1_host(param, host,
		    strlen(host)));
	if (ip != NULL)
		assert_true(X509_VERIFY_PARAM_set1_ip_asc(param, ip));
	ok = X509_verify_cert(ctx);
	if (ok != 1)
		print_message("verify: %s\n", X509_verify_cert_error_string(
		    X509_STORE_CTX_get_error(ctx)));
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return ok == 1 ? 0 : -1;
}

static void
test_create_and_reuse(void **state)
{
	struct ca	*ca;
	struct stat	 st;
	char		 fp1[96], fp2[96];
	FILE		*f;
	X509		*pem, *der;
	const uint8_t	*p;
	uint8_t		 buf[4096];
	size_t		 n;
	size_t		 i;

	ca = load();
	assert_int_equal(core_ca_created(ca), 1);
	assert_int_equal(stat(path_in(CA_KEY_FILE), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(stat(confdir, &st), 0);
	assert_int_equal(st.st_mode & 0077, 0);
	assert_string_equal(core_ca_cert_path(ca), path_in(CA_CERT_FILE));
	assert_string_equal(core_ca_cert_der_path(ca), path_in(CA_CERT_DER));

	/* The PEM and DER exports are the CA certificate itself. */
	assert_non_null(f = fopen(core_ca_cert_path(ca), "r"));
	assert_non_null(pem = PEM_read_X509(f, NULL, NULL, NULL));
	fclose(f);
	assert_non_null(f = fopen(core_ca_cert_der_path(ca), "rb"));
	n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	p = buf;
	assert_non_null(der = d2i_X509(NULL, &p, (long)n));
	assert_int_equal(X509_cmp(pem, core_ca_cert(ca)), 0);
	assert_int_equal(X509_cmp(der, core_ca_cert(ca)), 0);
	X509_free(pem);
	X509_free(der);

	/* The public files say nothing about the key. */
	assert_non_null(f = fopen(core_ca_cert_path(ca), "r"));
	n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	assert_null(strstr((char *)buf, "PRIVATE"));

	core_ca_fingerprint(ca, fp1);
	assert_int_equal(strlen(fp1), 95);
	for (i = 0; i < 95; i++)
		assert_true(i % 3 == 2 ? fp1[i] == ':' :
		    strchr("0123456789ABCDEF", fp1[i]) != NULL);
	core_ca_free(ca);

	/* The second load reuses the CA. */
	ca = load();
	assert_int_equal(core_ca_created(ca), 0);
	core_ca_fingerprint(ca, fp2);
	assert_string_equal(fp1, fp2);
	assert_int_equal(stat(path_in(CA_KEY_FILE), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	core_ca_free(ca);
}

static void
test_ca_cert(void **state)
{
	struct ca	*ca = load();
	X509		*x = core_ca_cert(ca);
	double		 nb, na, now = (double)time(NULL);

	assert_int_equal(X509_check_ca(x), 1);
	assert_true(X509_get_extension_flags(x) & EXFLAG_CA);
	assert_int_equal(X509_get_key_usage(x), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	assert_non_null(X509_get0_subject_key_id(x));
	nb = asn1_seconds(X509_get0_notBefore(x));
	na = asn1_seconds(X509_get0_notAfter(x));
	assert_true(nb < now - 3600);
	assert_true(na - now > 3649.0 * 86400 && na - now < 3651.0 * 86400);
	core_ca_free(ca);
}

static void
test_leaf(void **state)
{
	struct ca		*ca = load();
	X509			*leaf, *leaf2;
	EVP_PKEY		*key, *key2;
	char			*cause = NULL;
	const char		*extra[] = { "www.example.com", "EXAMPLE.com",
				    "bad name", "198.51.100.7", NULL };
	double			 nb, na, now = (double)time(NULL);
	const ASN1_OCTET_STRING	*ski, *aki;
	BIGNUM			*serial;

	assert_int_equal(core_ca_leaf(ca, "example.com", "192.0.2.1", extra,
	    &leaf, &key, &cause), 0);
	assert_int_equal(verify(ca, leaf, "example.com", NULL), 0);
	assert_int_equal(verify(ca, leaf, "www.example.com", NULL), 0);
	assert_int_equal(verify(ca, leaf, NULL, "192.0.2.1"), 0);
	assert_int_equal(verify(ca, leaf, NULL, "198.51.100.7"), 0);
	assert_int_equal(verify(ca, leaf, "other.example", NULL), -1);
	assert_int_equal(X509_check_host(leaf, "bad name", 8, 0, NULL), 0);
	assert_int_equal(X509_check_private_key(leaf, key), 1);
	assert_int_equal(EVP_PKEY_id(key), EVP_PKEY_EC);

	/* What modern clients insist on. */
	assert_int_equal(X509_check_ca(leaf), 0);
	assert_int_equal(X509_get_key_usage(leaf), KU_DIGITAL_SIGNATURE);
	assert_int_equal(X509_get_extended_key_usage(leaf), XKU_SSL_SERVER);
	assert_int_equal(X509_get_version(leaf), X509_VERSION_3);
	ski = X509_get0_subject_key_id(core_ca_cert(ca));
	aki = X509_get0_authority_key_id(leaf);
	assert_non_null(aki);
	assert_int_equal(ASN1_STRING_cmp(ski, aki), 0);
	assert_non_null(X509_get0_subject_key_id(leaf));
	nb = asn1_seconds(X509_get0_notBefore(leaf));
	na = asn1_seconds(X509_get0_notAfter(leaf));
	assert_true(nb <= now - 23 * 3600);
	assert_true(na - nb <= 397.0 * 86400);
	assert_true(na - now > 390.0 * 86400);
	serial = ASN1_INTEGER_to_BN(X509_get_serialNumber(leaf), NULL);
	assert_true(BN_num_bits(serial) > 100);
	BN_free(serial);

	/* Cached: the same names give the same certificate. */
	assert_int_equal(core_ca_leaf(ca, "example.com", "192.0.2.1", extra,
	    &leaf2, &key2, &cause), 0);
	assert_ptr_equal(leaf, leaf2);
	assert_ptr_equal(key, key2);
	assert_int_equal(core_ca_cached(ca), 1);
	X509_free(leaf2);
	EVP_PKEY_free(key2);

	/* Another host: another serial, the same shared key. */
	assert_int_equal(core_ca_leaf(ca, "example.org", NULL, NULL, &leaf2,
	    &key2, &cause), 0);
	assert_ptr_equal(key, key2);
	assert_int_not_equal(ASN1_INTEGER_cmp(X509_get_serialNumber(leaf),
	    X509_get_serialNumber(leaf2)), 0);
	assert_int_equal(verify(ca, leaf2, "example.org", NULL), 0);
	assert_int_equal(verify(ca, leaf2, "example.com", NULL), -1);
	X509_free(leaf2);
	EVP_PKEY_free(key2);

	X509_free(leaf);
	EVP_PKEY_free(key);
	core_ca_free(ca);
}

static void
test_leaf_ip(void **state)
{
	struct ca	*ca = load();
	X509		*leaf;
	EVP_PKEY	*key;
	char		*cause = NULL;

	/* No SNI: the certificate is for the destination address. */
	assert_int_equal(core_ca_leaf(ca, NULL, "2001:db8::1", NULL, &leaf,
	    &key, &cause), 0);
	assert_int_equal(verify(ca, leaf, NULL, "2001:db8::1"), 0);
	assert_int_equal(verify(ca, leaf, NULL, "2001:db8::2"), -1);
	assert_int_equal(X509_check_ip_asc(leaf, "2001:db8::1", 0), 1);
	X509_free(leaf);
	EVP_PKEY_free(key);

	/* An IP literal as SNI (some clients send one) is an IP SAN. */
	assert_int_equal(core_ca_leaf(ca, "192.0.2.9", NULL, NULL, &leaf,
	    &key, &cause), 0);
	assert_int_equal(verify(ca, leaf, NULL, "192.0.2.9"), 0);
	X509_free(leaf);
	EVP_PKEY_free(key);

	/* A name longer than a CN may be: SAN only, still verifies. */
	const char *longname = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    ".bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.example";
	assert_int_equal(core_ca_leaf(ca, longname, NULL, NULL, &leaf, &key,
	    &cause), 0);
	assert_int_equal(verify(ca, leaf, longname, NULL), 0);
	X509_free(leaf);
	EVP_PKEY_free(key);

	assert_int_equal(core_ca_leaf(ca, "bad\nname", NULL, NULL, &leaf,
	    &key, &cause), -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "invalid server name"));
	free(cause);
	cause = NULL;
	assert_int_equal(core_ca_leaf(ca, NULL, NULL, NULL, &leaf, &key,
	    &cause), -1);
	assert_non_null(cause);
	free(cause);
	cause = NULL;

	/* No SNI, a CONNECT to a name: the leaf is for that name. */
	assert_int_equal(core_ca_leaf(ca, NULL, "nosni.example", NULL, &leaf,
	    &key, &cause), 0);
	assert_int_equal(verify(ca, leaf, "nosni.example", NULL), 0);
	X509_free(leaf);
	EVP_PKEY_free(key);
	/* A host that is no DNS name is still refused. */
	assert_int_equal(core_ca_leaf(ca, NULL, "bad host", NULL, &leaf,
	    &key, &cause), -1);
	assert_non_null(strstr(cause, "no server name"));
	free(cause);
	core_ca_free(ca);
}

static void
test_lru(void **state)
{
	struct ca	*ca = load();
	X509		*leaf, *first, *again;
	EVP_PKEY	*key;
	char		*cause = NULL, name[64];
	int		 i;

	assert_int_equal(core_ca_leaf(ca, "h0.example", NULL, NULL, &first,
	    &key, &cause), 0);
	EVP_PKEY_free(key);
	for (i = 1; i < LIMIT_CERT_CACHE + 10; i++) {
		snprintf(name, sizeof name, "h%d.example", i);
		assert_int_equal(core_ca_leaf(ca, name, NULL, NULL, &leaf,
		    &key, &cause), 0);
		X509_free(leaf);
		EVP_PKEY_free(key);
		assert_true(core_ca_cached(ca) <= LIMIT_CERT_CACHE);
		/* Keep h1 fresh: it must survive the evictions. */
		assert_int_equal(core_ca_leaf(ca, "h1.example", NULL, NULL,
		    &leaf, &key, &cause), 0);
		X509_free(leaf);
		EVP_PKEY_free(key);
	}
	assert_int_equal(core_ca_cached(ca), LIMIT_CERT_CACHE);
	/* h0 was evicted: a new certificate (new serial). */
	assert_int_equal(core_ca_leaf(ca, "h0.example", NULL, NULL, &again,
	    &key, &cause), 0);
	assert_int_not_equal(ASN1_INTEGER_cmp(X509_get_serialNumber(first),
	    X509_get_serialNumber(again)), 0);
	X509_free(again);
	X509_free(first);
	EVP_PKEY_free(key);
	core_ca_free(ca);
}

static void
test_refuse_open_key(void **state)
{
	struct ca	*ca = load();
	char		*cause = NULL;

	core_ca_free(ca);
	assert_int_equal(chmod(path_in(CA_KEY_FILE), 0644), 0);
	assert_null(core_ca_load_or_create(confdir, &cause));
	assert_non_null(cause);
	assert_non_null(strstr(cause, "mode 0644"));
	assert_non_null(strstr(cause, "other users"));
	assert_null(strstr(cause, "PRIVATE"));
	free(cause);
	cause = NULL;
	assert_int_equal(chmod(path_in(CA_KEY_FILE), 0640), 0);
	assert_null(core_ca_load_or_create(confdir, &cause));
	free(cause);
	assert_int_equal(chmod(path_in(CA_KEY_FILE), 0600), 0);
	ca = load();
	core_ca_free(ca);
}

static void
test_lost_cert(void **state)
{
	struct ca	*ca = load();
	char		 fp1[96], fp2[96];
	struct stat	 st;

	core_ca_fingerprint(ca, fp1);
	core_ca_free(ca);
	/* Only the DER export lost: re-exported, same CA. */
	assert_int_equal(unlink(path_in(CA_CERT_DER)), 0);
	ca = load();
	assert_int_equal(core_ca_created(ca), 0);
	core_ca_fingerprint(ca, fp2);
	assert_string_equal(fp1, fp2);
	assert_int_equal(stat(path_in(CA_CERT_DER), &st), 0);
	core_ca_free(ca);
	/* The certificate lost: re-issued for the same key. */
	assert_int_equal(unlink(path_in(CA_CERT_FILE)), 0);
	ca = load();
	assert_int_equal(core_ca_created(ca), 1);
	assert_int_equal(stat(path_in(CA_CERT_FILE), &st), 0);
	core_ca_fingerprint(ca, fp2);
	assert_string_not_equal(fp1, fp2);
	core_ca_free(ca);
}

/*
 * A lost key is never silently replaced: a new key is a new CA that the
 * clients which trust the old certificate do not know. Only when the
 * whole CA is gone is a new one made.
 */
static void
test_lost_key(void **state)
{
	struct ca	*ca = load();
	char		 fp1[96], fp2[96], *cause = NULL;
	struct stat	 st1, st2;

	core_ca_fingerprint(ca, fp1);
	core_ca_free(ca);
	assert_int_equal(stat(path_in(CA_CERT_FILE), &st1), 0);
	assert_int_equal(unlink(path_in(CA_KEY_FILE)), 0);
	assert_null(core_ca_load_or_create(confdir, &cause));
	assert_non_null(cause);
	assert_non_null(strstr(cause, "is missing"));
	assert_non_null(strstr(cause, "will not replace"));
	assert_non_null(strstr(cause, path_in(CA_CERT_FILE)));
	free(cause);
	cause = NULL;
	/* Nothing was written: no key, the same certificate. */
	assert_int_equal(access(path_in(CA_KEY_FILE), F_OK), -1);
	assert_int_equal(stat(path_in(CA_CERT_FILE), &st2), 0);
	assert_int_equal(st1.st_ino, st2.st_ino);
	/* The DER export alone is still a CA someone may trust. */
	assert_int_equal(unlink(path_in(CA_CERT_FILE)), 0);
	assert_null(core_ca_load_or_create(confdir, &cause));
	assert_non_null(strstr(cause, "will not replace"));
	free(cause);
	/* All gone: a new CA, as on first use. */
	assert_int_equal(unlink(path_in(CA_CERT_DER)), 0);
	ca = load();
	assert_int_equal(core_ca_created(ca), 1);
	core_ca_fingerprint(ca, fp2);
	assert_string_not_equal(fp1, fp2);
	core_ca_free(ca);
}

/* A key file that another user owns is refused, whatever its mode. */
static void
test_key_owner(void **state)
{
	struct ca	*ca = load();
	char		*cause = NULL;

	core_ca_free(ca);
	/* The test runs as root (CI does), which may give files away. */
	assert_int_equal(geteuid(), 0);
	assert_int_equal(chown(path_in(CA_KEY_FILE), 12345, 12345), 0);
	assert_null(core_ca_load_or_create(confdir, &cause));
	assert_non_null(cause);
	assert_non_null(strstr(cause, "owned by uid 12345"));
	assert_null(strstr(cause, "PRIVATE"));
	free(cause);
	assert_int_equal(chown(path_in(CA_KEY_FILE), 0, 0), 0);
	ca = load();
	assert_null(core_ca_warning(ca));
	core_ca_free(ca);
}

/* A CA of the test's own making, written into the confdir. */
static void
write_ca(long not_after_days, int is_ca)
{
	EC_KEY		*ec = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1);
	EVP_PKEY	*key = EVP_PKEY_new();
	X509		*x = X509_new();
	X509_EXTENSION	*ext;
	X509V3_CTX	 v3;
	FILE		*f;
	char		 p[256];
	int		 fd;


	snprintf(p, sizeof p, "%s/config", tmpdir);
	mkdir(p, 0700);
	mkdir(confdir, 0700);
	assert_true(EC_KEY_generate_key(ec));
	assert_true(EVP_PKEY_assign_EC_KEY(key, ec));
	assert_true(X509_set_version(x, X509_VERSION_3));
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
	    MBSTRING_UTF8, (const uint8_t *)"test CA", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_time_adj_ex(X509_getm_notBefore(x), -30, 0, NULL);
	X509_time_adj_ex(X509_getm_notAfter(x), not_after_days, 0, NULL);
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_nconf_nid(NULL, &v3, NID_basic_constraints,
	    is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	assert_non_null(ext);
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(x, key, EVP_sha256()));
	fd = open(path_in(CA_KEY_FILE), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd != -1);
	f = fdopen(fd, "w");
	assert_true(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL));
	fclose(f);
	f = fopen(path_in(CA_CERT_FILE), "w");
	assert_non_null(f);
	assert_true(PEM_write_X509(f, x));
	fclose(f);
	X509_free(x);
	EVP_PKEY_free(key);
}

/* A certificate that still signs but that clients refuse: a warning. */
static void
test_cert_warnings(void **state)
{
	struct ca	*ca;

	write_ca(-1, 1);
	ca = load();
	assert_int_equal(core_ca_created(ca), 0);
	assert_non_null(core_ca_warning(ca));
	assert_non_null(strstr(core_ca_warning(ca), "has expired"));
	core_ca_free(ca);

	write_ca(365, 0);
	ca = load();
	assert_non_null(core_ca_warning(ca));
	assert_non_null(strstr(core_ca_warning(ca), "not a CA certificate"));
	core_ca_free(ca);

	write_ca(365, 1);
	ca = load();
	assert_null(core_ca_warning(ca));
	core_ca_free(ca);
}

static void
test_use_leaf(void **state)
{
	struct ca	*ca = load();
	SSL_CTX		*ctx = SSL_CTX_new(TLS_method());
	SSL		*ssl = SSL_new(ctx);
	char		*cause = NULL;

	assert_int_equal(core_ca_use_leaf(ca, ssl, "example.net", NULL, NULL,
	    &cause), 0);
	assert_non_null(SSL_get_certificate(ssl));
	assert_int_equal(X509_check_host(SSL_get_certificate(ssl),
	    "example.net", 11, 0, NULL), 1);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	core_ca_free(ca);
}

static void
test_default_confdir(void **state)
{
	char	*old_xdg = getenv("XDG_CONFIG_HOME");
	char	*old_home = getenv("HOME");
	char	*d, *cause = NULL;

	old_xdg = old_xdg != NULL ? strdup(old_xdg) : NULL;
	old_home = old_home != NULL ? strdup(old_home) : NULL;
	setenv("XDG_CONFIG_HOME", "/x/conf", 1);
	assert_non_null(d = core_ca_default_confdir(&cause));
	assert_string_equal(d, "/x/conf/trawl");
	free(d);
	unsetenv("XDG_CONFIG_HOME");
	setenv("HOME", "/home/u", 1);
	assert_non_null(d = core_ca_default_confdir(&cause));
	assert_string_equal(d, "/home/u/.config/trawl");
	free(d);
	unsetenv("HOME");
	assert_null(core_ca_default_confdir(&cause));
	assert_non_null(cause);
	free(cause);
	if (old_xdg != NULL)
		setenv("XDG_CONFIG_HOME", old_xdg, 1);
	if (old_home != NULL)
		setenv("HOME", old_home, 1);
	free(old_xdg);
	free(old_home);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_and_reuse, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ca_cert, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leaf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leaf_ip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lru, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuse_open_key, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_lost_cert, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_lost_key, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_key_owner, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cert_warnings, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_use_leaf, setup,
		    teardown),
		cmocka_unit_test(test_default_confdir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
