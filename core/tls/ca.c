/*
 * ca.c -- trawl's CA: load or create it, sign leaf certificates, cache them.
 *
 * Leaves follow what browsers demand of publicly trusted certificates
 * (CA/Browser Forum baseline, Apple's 398-day rule), so that a client that
 * trusts trawl's CA accepts them like any other: SAN present, random
 * 128-bit serial, 397 days of validity starting a day in the past (for
 * clocks that lag), serverAuth EKU, digitalSignature, AKI/SKI, CA:FALSE.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec_key.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/mem.h>
#include <openssl/obj.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/loop/cause.h"
#include "core/loop/limits.h"
#include "core/tls/ca.h"
#include "core/tls/tls.h"

#define CA_DAYS		3650
#define LEAF_DAYS	397
#define BACKDATE_SEC	86400L
/* SANs on one leaf: the name, the IP and what the upstream had. */
#define LEAF_SANS	64

struct leaf {
	char		*names;		/* cache key: names joined by '\n' */
	uint32_t	 hash;
	X509		*cert;
	struct leaf	*prev;		/* toward the most recently used */
	struct leaf	*next;
};

struct ca {
	char		*dir;
	char		*key_path;
	char		*cert_path;
	char		*der_path;
	EVP_PKEY	*key;		/* the CA key: never printed */
	X509		*cert;
	EVP_PKEY	*leaf_key;	/* shared by every leaf, memory only */
	int		 created;
	char		*warning;	/* what is wrong with a loaded cert */
	struct leaf	*head;		/* most recently used first */
	struct leaf	*tail;
	size_t		 nleaves;
};

static char *
join(const char *dir, const char *name)
{
	char	*s;

	if (asprintf(&s, "%s/%s", dir, name) == -1)
		return NULL;
	return s;
}

static int
missing(const char *path)
{
	return access(path, F_OK) == -1 && errno == ENOENT;
}

char *
core_ca_default_confdir(char **cause)
{
	const char	*xdg = getenv("XDG_CONFIG_HOME");
	const char	*home = getenv("HOME");
	char		*s = NULL;

	/* The XDG spec says a relative XDG_CONFIG_HOME is to be ignored. */
	if (xdg != NULL && xdg[0] == '/') {
		if (asprintf(&s, "%s/trawl", xdg) == -1)
			s = NULL;
	} else if (home != NULL && home[0] == '/') {
		if (asprintf(&s, "%s/.config/trawl", home) == -1)
			s = NULL;
	} else
		core_cause(cause, "neither XDG_CONFIG_HOME nor HOME is set; "
		    "use --confdir");
	return s;
}

/* mkdir -p; the directories made are private to the user. */
static int
make_dirs(const char *dir, char **cause)
{
	char		*p, *s;
	struct stat	 st;
	int		 rc = -1;

	if ((p = strdup(dir)) == NULL) {
		core_cause(cause, "out of memory");
		return -1;
	}
	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, 0700) == -1 && errno != EEXIST) {
			core_cause(cause, "cannot create %s: %s", p,
			    strerror(errno));
			goto out;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	if (stat(dir, &st) == -1 || !S_ISDIR(st.st_mode)) {
		core_cause(cause, "%s is not a directory", dir);
		goto out;
	}
	rc = 0;
out:
	free(p);
	return rc;
}

/*
 * Reads a whole regular file of at most LIMIT_CA_FILE bytes. With private
 * set, refuses a file other users can access or that another user owns
 * (the owner could widen its mode or swap its contents at any time);
 * checked on the open fd, so the file checked is the file read. Caller
 * wipes and frees *buf.
 */
static int
read_file(const char *path, int private, unsigned char **buf, size_t *len,
    char **cause)
{
	struct stat	 st;
	unsigned char	*b = NULL;
	size_t		 n = 0;
	ssize_t		 r;
	int		 fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		core_cause(cause, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		core_cause(cause, "%s is not a regular file", path);
		goto out;
	}
	if (private && st.st_uid != geteuid()) {
		core_cause(cause, "%s is owned by uid %u, not by you (uid %u): "
		    "the CA private key must belong to the user who runs trawl "
		    "(chown it, run trawl as its owner, or use --confdir)", path,
		    (unsigned)st.st_uid, (unsigned)geteuid());
		goto out;
	}
	if (private && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		core_cause(cause, "%s has mode %04o: the CA private key must not "
		    "be accessible to other users (chmod 600 %s, or remove the "
		    "CA files to make a new CA)", path,
		    (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	if (st.st_size > LIMIT_CA_FILE) {
		core_cause(cause, "%s is too large", path);
		goto out;
	}
	if ((b = malloc(LIMIT_CA_FILE)) == NULL) {
		core_cause(cause, "out of memory");
		goto out;
	}
	while (n < LIMIT_CA_FILE) {
		r = read(fd, b + n, LIMIT_CA_FILE - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			core_cause(cause, "cannot read %s: %s", path,
			    strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*buf = b;
	*len = n;
	b = NULL;
	rc = 0;
out:
	if (b != NULL) {
		OPENSSL_cleanse(b, LIMIT_CA_FILE);
		free(b);
	}
	close(fd);
	return rc;
}

static int
write_all(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 r;

	while (len > 0) {
		r = write(fd, p, len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

/* Public files: written aside, then renamed, so readers never see half. */
static int
write_public(const char *path, const void *buf, size_t len, char **cause)
{
	char	*tmp;
	int	 fd, rc = -1;

	if (asprintf(&tmp, "%s.%ld.tmp", path, (long)getpid()) == -1) {
		core_cause(cause, "out of memory");
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	    0644);
	if (fd == -1) {
		core_cause(cause, "cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (write_all(fd, buf, len) == -1 || fsync(fd) == -1) {
		core_cause(cause, "cannot write %s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, path) == -1) {
		core_cause(cause, "cannot rename %s: %s", tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	return rc;
}

/*
 * The key file is created 0600 with O_EXCL and never chmod'ed: it is
 * never, even for an instant, readable by anyone else. The PEM text is
 * wiped from memory before it is freed.
 */
static int
write_key(const char *path, EVP_PKEY *key, char **cause)
{
	BIO		*bio;
	const uint8_t	*pem;
	size_t		 len;
	int		 fd = -1, rc = -1;

	if ((bio = BIO_new(BIO_s_mem())) == NULL) {
		core_cause(cause, "out of memory");
		return -1;
	}
	if (!PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) ||
	    !BIO_mem_contents(bio, &pem, &len)) {
		core_cause(cause, "cannot encode the CA key: %s", core_tls_reason());
		goto out;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1) {
		core_cause(cause, "cannot create %s: %s", path, strerror(errno));
		goto out;
	}
	if (write_all(fd, pem, len) == -1 || fsync(fd) == -1) {
		core_cause(cause, "cannot write %s: %s", path, strerror(errno));
		unlink(path);
		goto out;
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	if (BIO_mem_contents(bio, &pem, &len))
		OPENSSL_cleanse((void *)pem, len);
	BIO_free(bio);
	return rc;
}

static EVP_PKEY *
make_key(void)
{
	EC_KEY		*ec;
	EVP_PKEY	*pkey;

	if ((ec = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1)) == NULL)
		return NULL;
	if (!EC_KEY_generate_key(ec) || (pkey = EVP_PKEY_new()) == NULL) {
		EC_KEY_free(ec);
		return NULL;
	}
	if (!EVP_PKEY_assign_EC_KEY(pkey, ec)) {
		EC_KEY_free(ec);
		EVP_PKEY_free(pkey);
		return NULL;
	}
	return pkey;
}

/* A random positive 128-bit serial, as RFC 5280 4.1.2.2 and CABF ask. */
static int
set_serial(X509 *x)
{
	uint8_t		 b[16];
	BIGNUM		*bn;
	ASN1_INTEGER	*ai = NULL;
	int		 ok = 0;

	RAND_bytes(b, sizeof b);
	b[0] = (b[0] & 0x7f) | 0x40;
	if ((bn = BN_bin2bn(b, sizeof b, NULL)) == NULL)
		return 0;
	if ((ai = BN_to_ASN1_INTEGER(bn, NULL)) != NULL)
		ok = X509_set_serialNumber(x, ai);
	ASN1_INTEGER_free(ai);
	BN_free(bn);
	return ok;
}

static int
add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION	*ext;
	int		 ok;

	if ((ext = X509V3_EXT_nconf_nid(NULL, ctx, nid, value)) == NULL)
		return 0;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

static int
set_name(X509_NAME *name, const char *cn)
{
	if (!X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
	    (const uint8_t *)"trawl", -1, -1, 0))
		return 0;
	/* A CN is capped at 64 characters; longer names live in SAN only. */
	if (cn != NULL && strlen(cn) <= 64 &&
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const uint8_t *)cn, -1, -1, 0))
		return 0;
	return 1;
}

static X509 *
make_ca_cert(EVP_PKEY *key)
{
	X509		*x;
	X509V3_CTX	 v3;

	if ((x = X509_new()) == NULL)
		return NULL;
	if (!X509_set_version(x, X509_VERSION_3) || !set_serial(x) ||
	    !set_name(X509_get_subject_name(x), "trawl CA") ||
	    !X509_set_issuer_name(x, X509_get_subject_name(x)) ||
	    !X509_time_adj_ex(X509_getm_notBefore(x), 0, -BACKDATE_SEC, NULL) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), CA_DAYS, 0, NULL) ||
	    !X509_set_pubkey(x, key))
		goto fail;
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	if (!add_ext(x, &v3, NID_basic_constraints, "critical,CA:TRUE") ||
	    !add_ext(x, &v3, NID_key_usage, "critical,keyCertSign,cRLSign") ||
	    !add_ext(x, &v3, NID_subject_key_identifier, "hash") ||
	    !add_ext(x, &v3, NID_authority_key_identifier, "keyid:always") ||
	    !X509_sign(x, key, EVP_sha256()))
		goto fail;
	return x;
fail:
	X509_free(x);
	return NULL;
}

static int
export_cert(struct ca *ca, int pem, int der, char **cause)
{
	BIO		*bio = NULL;
	const uint8_t	*p;
	uint8_t		*d = NULL;
	size_t		 len;
	int		 n, rc = -1;

	if (pem) {
		if ((bio = BIO_new(BIO_s_mem())) == NULL ||
		    !PEM_write_bio_X509(bio, ca->cert) ||
		    !BIO_mem_contents(bio, &p, &len)) {
			core_cause(cause, "cannot encode the CA certificate: %s",
			    core_tls_reason());
			goto out;
		}
		if (write_public(ca->cert_path, p, len, cause) == -1)
			goto out;
	}
	if (der) {
		if ((n = i2d_X509(ca->cert, &d)) <= 0) {
			core_cause(cause, "cannot encode the CA certificate: %s",
			    core_tls_reason());
			goto out;
		}
		if (write_public(ca->der_path, d, (size_t)n, cause) == -1)
			goto out;
	}
	rc = 0;
out:
	OPENSSL_free(d);
	BIO_free(bio);
	return rc;
}

static int
load_key(struct ca *ca, char **cause)
{
	unsigned char	*buf;
	size_t		 len;
	BIO		*bio;

	if (read_file(ca->key_path, 1, &buf, &len, cause) == -1)
		return -1;
	if ((bio = BIO_new_mem_buf(buf, len)) != NULL) {
		ca->key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
		BIO_free(bio);
	}
	OPENSSL_cleanse(buf, LIMIT_CA_FILE);
	free(buf);
	if (ca->key == NULL) {
		core_cause(cause, "cannot read the CA key in %s: %s",
		    ca->key_path, core_tls_reason());
		return -1;
	}
	return 0;
}

/* Loads the certificate; 1 when it is missing, 0 when loaded, -1 error. */
static int
load_cert(struct ca *ca, char **cause)
{
	unsigned char	*buf;
	size_t		 len;
	BIO		*bio;

	if (missing(ca->cert_path))
		return 1;
	if (read_file(ca->cert_path, 0, &buf, &len, cause) == -1)
		return -1;
	if ((bio = BIO_new_mem_buf(buf, len)) != NULL) {
		ca->cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		BIO_free(bio);
	}
	free(buf);
	if (ca->cert == NULL) {
		core_cause(cause, "cannot read the CA certificate %s: %s",
		    ca->cert_path, core_tls_reason());
		return -1;
	}
	if (!X509_check_private_key(ca->cert, ca->key)) {
		core_cause(cause, "%s does not belong to the key in %s",
		    ca->cert_path, ca->key_path);
		return -1;
	}
	return 0;
}

/* seconds from now to t: negative in the past. */
static long long
from_now(const ASN1_TIME *t)
{
	ASN1_TIME	*now = ASN1_TIME_set(NULL, time(NULL));
	int		 days = 0, secs = 0;

	if (now == NULL || !ASN1_TIME_diff(&days, &secs, now, t))
		days = secs = 0;
	ASN1_TIME_free(now);
	return (long long)days * 86400 + secs;
}

/*
 * What would make clients refuse the leaves of this CA certificate,
 * though trawl can still sign with it: expired or not yet valid, not a
 * CA, or not allowed to sign certificates. NULL when nothing is wrong.
 */
static char *
cert_problem(struct ca *ca)
{
	X509	*x = ca->cert;
	char	*s = NULL;
	int	 r;

	if (from_now(X509_get0_notAfter(x)) < 0)
		r = asprintf(&s, "the CA certificate %s has expired: clients "
		    "will refuse every certificate trawl makes (remove %s and "
		    "%s to make a new CA, then trust it again)", ca->cert_path,
		    ca->cert_path, ca->der_path);
	else if (from_now(X509_get0_notBefore(x)) > 0)
		r = asprintf(&s, "the CA certificate %s is not valid yet "
		    "(check the clock)", ca->cert_path);
	else if (X509_check_ca(x) != 1)
		r = asprintf(&s, "the certificate %s is not a CA certificate "
		    "(no basicConstraints CA:TRUE with keyCertSign): clients "
		    "will refuse every certificate trawl makes", ca->cert_path);
	else
		return NULL;
	return r == -1 ? NULL : s;
}

/* Called with the confdir locked, so two trawls never make two CAs. */
static int
load_or_create(struct ca *ca, char **cause)
{
	int	rc;

	if (missing(ca->key_path)) {
		/*
		 * A new key means a new CA that no client trusts yet: only
		 * when there is no CA at all. A certificate without its key
		 * is a CA the user may have trusted; never replace it.
		 */
		if (!missing(ca->cert_path) || !missing(ca->der_path)) {
			core_cause(cause, "the CA key %s is missing but its "
			    "certificate is there (%s): trawl will not replace "
			    "a CA that clients may trust. Restore the key, or "
			    "remove %s and %s to make a new CA (and trust the "
			    "new one)", ca->key_path, !missing(ca->cert_path) ?
			    ca->cert_path : ca->der_path, ca->cert_path,
			    ca->der_path);
			return -1;
		}
		if ((ca->key = make_key()) == NULL ||
		    (ca->cert = make_ca_cert(ca->key)) == NULL) {
			core_cause(cause, "cannot make a CA: %s", core_tls_reason());
			return -1;
		}
		if (write_key(ca->key_path, ca->key, cause) == -1)
			return -1;
		ca->created = 1;
		return export_cert(ca, 1, 1, cause);
	}
	if (load_key(ca, cause) == -1)
		return -1;
	if ((rc = load_cert(ca, cause)) == -1)
		return -1;
	if (rc == 0)
		ca->warning = cert_problem(ca);
	if (rc == 1) {
		/* The key is the CA's identity; re-issue a lost certificate. */
		if ((ca->cert = make_ca_cert(ca->key)) == NULL) {
			core_cause(cause, "cannot make a CA certificate: %s",
			    core_tls_reason());
			return -1;
		}
		ca->created = 1;
		return export_cert(ca, 1, 1, cause);
	}
	if (missing(ca->der_path))
		return export_cert(ca, 0, 1, cause);
	return 0;
}

struct ca *
core_ca_load_or_create(const char *confdir, char **cause)
{
	struct ca	*ca;
	int		 dfd = -1, ok = 0;

	if ((ca = calloc(1, sizeof *ca)) == NULL) {
		core_cause(cause, "out of memory");
		return NULL;
	}
	if ((ca->dir = strdup(confdir)) == NULL ||
	    (ca->key_path = join(confdir, CA_KEY_FILE)) == NULL ||
	    (ca->cert_path = join(confdir, CA_CERT_FILE)) == NULL ||
	    (ca->der_path = join(confdir, CA_CERT_DER)) == NULL) {
		core_cause(cause, "out of memory");
		goto out;
	}
	if (make_dirs(confdir, cause) == -1)
		goto out;
	dfd = open(confdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd == -1 || flock(dfd, LOCK_EX) == -1) {
		core_cause(cause, "cannot lock %s: %s", confdir, strerror(errno));
		goto out;
	}
	if (load_or_create(ca, cause) == -1)
		goto out;
	if ((ca->leaf_key = make_key()) == NULL) {
		core_cause(cause, "cannot make the leaf key: %s", core_tls_reason());
		goto out;
	}
	ok = 1;
out:
	if (dfd != -1)
		close(dfd);		/* drops the lock */
	if (!ok) {
		core_ca_free(ca);
		return NULL;
	}
	return ca;
}

static void
leaf_free(struct leaf *l)
{
	X509_free(l->cert);
	free(l->names);
	free(l);
}

/* Keys are freed through BoringSSL, which wipes what it frees. */
void
core_ca_free(struct ca *ca)
{
	struct leaf	*l, *next;

	if (ca == NULL)
		return;
	for (l = ca->head; l != NULL; l = next) {
		next = l->next;
		leaf_free(l);
	}
	EVP_PKEY_free(ca->key);
	EVP_PKEY_free(ca->leaf_key);
	X509_free(ca->cert);
	free(ca->warning);
	free(ca->dir);
	free(ca->key_path);
	free(ca->cert_path);
	free(ca->der_path);
	free(ca);
}

int
core_ca_created(const struct ca *ca)
{
	return ca->created;
}

const char *
core_ca_warning(const struct ca *ca)
{
	return ca->warning;
}

const char *
core_ca_cert_path(const struct ca *ca)
{
	return ca->cert_path;
}

const char *
core_ca_cert_der_path(const struct ca *ca)
{
	return ca->der_path;
}

X509 *
core_ca_cert(const struct ca *ca)
{
	return ca->cert;
}

void
core_ca_fingerprint(const struct ca *ca, char out[96])
{
	uint8_t		md[EVP_MAX_MD_SIZE];
	unsigned int	n = 0, i;

	out[0] = '\0';
	if (!X509_digest(ca->cert, EVP_sha256(), md, &n))
		return;
	for (i = 0; i < n && i < 32; i++)
		snprintf(out + 3 * i, 4, i + 1 < n ? "%02X:" : "%02X", md[i]);
}

size_t
core_ca_cached(const struct ca *ca)
{
	return ca->nleaves;
}

/* What a DNS SAN may hold: LDH labels, '_' (seen in the wild), '*'. */
static int
valid_dns(const char *s)
{
	size_t	i, n = strlen(s);

	if (n == 0 || n > 253 || s[0] == '.' || strstr(s, "..") != NULL)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '*'))
			return 0;
	}
	return 1;
}

/* 4 or 16 when s is an IP literal (bytes in ip), else 0. */
static int
parse_ip(const char *s, uint8_t ip[16])
{
	if (inet_pton(AF_INET, s, ip) == 1)
		return 4;
	if (inet_pton(AF_INET6, s, ip) == 1)
		return 16;
	return 0;
}

static int
add_san(GENERAL_NAMES *gens, const char *name)
{
	GENERAL_NAME		*g;
	ASN1_OCTET_STRING	*os;
	uint8_t			 ip[16];
	int			 n;

	if ((g = GENERAL_NAME_new()) == NULL ||
	    (os = ASN1_OCTET_STRING_new()) == NULL) {
		GENERAL_NAME_free(g);
		return 0;
	}
	/* Built field by field, never from a string the peer chose. */
	if ((n = parse_ip(name, ip)) != 0) {
		if (!ASN1_OCTET_STRING_set(os, ip, n))
			goto fail;
		GENERAL_NAME_set0_value(g, GEN_IPADD, os);
	} else {
		ASN1_STRING_free(os);
		if ((os = ASN1_IA5STRING_new()) == NULL)
			goto fail;
		if (!ASN1_STRING_set(os, name, (int)strlen(name)))
			goto fail;
		GENERAL_NAME_set0_value(g, GEN_DNS, os);
	}
	if (!sk_GENERAL_NAME_push(gens, g)) {
		GENERAL_NAME_free(g);
		return 0;
	}
	return 1;
fail:
	ASN1_STRING_free(os);
	GENERAL_NAME_free(g);
	return 0;
}

static X509 *
make_leaf(struct ca *ca, const char *const *names, size_t n)
{
	X509		*x;
	X509V3_CTX	 v3;
	GENERAL_NAMES	*gens = NULL;
	size_t		 i;
	int		 has_cn = strlen(names[0]) <= 64;

	if ((x = X509_new()) == NULL)
		return NULL;
	if (!X509_set_version(x, X509_VERSION_3) || !set_serial(x) ||
	    !set_name(X509_get_subject_name(x), names[0]) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(ca->cert)) ||
	    !X509_time_adj_ex(X509_getm_notBefore(x), 0, -BACKDATE_SEC, NULL) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), LEAF_DAYS, -BACKDATE_SEC,
	    NULL) ||
	    !X509_set_pubkey(x, ca->leaf_key))
		goto fail;
	if ((gens = sk_GENERAL_NAME_new_null()) == NULL)
		goto fail;
	for (i = 0; i < n; i++)
		if (!add_san(gens, names[i]))
			goto fail;
	/* Without a CN the subject is empty of names: SAN must be critical. */
	if (!X509_add1_ext_i2d(x, NID_subject_alt_name, gens, !has_cn,
	    X509V3_ADD_DEFAULT))
		goto fail;
	X509V3_set_ctx(&v3, ca->cert, x, NULL, NULL, 0);
	if (!add_ext(x, &v3, NID_basic_constraints, "critical,CA:FALSE") ||
	    !add_ext(x, &v3, NID_key_usage, "critical,digitalSignature") ||
	    !add_ext(x, &v3, NID_ext_key_usage, "serverAuth") ||
	    !add_ext(x, &v3, NID_subject_key_identifier, "hash") ||
	    !add_ext(x, &v3, NID_authority_key_identifier, "keyid:always") ||
	    !X509_sign(x, ca->key, EVP_sha256()))
		goto fail;
	GENERAL_NAMES_free(gens);
	return x;
fail:
	GENERAL_NAMES_free(gens);
	X509_free(x);
	return NULL;
}

/* FNV-1a: the cache is small, this only saves string compares. */
static uint32_t
hash_names(const char *s)
{
	uint32_t	h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static void
lru_unlink(struct ca *ca, struct leaf *l)
{
	if (l->prev != NULL)
		l->prev->next = l->next;
	else
		ca->head = l->next;
	if (l->next != NULL)
		l->next->prev = l->prev;
	else
		ca->tail = l->prev;
	l->prev = l->next = NULL;
}

static void
lru_push(struct ca *ca, struct leaf *l)
{
	l->prev = NULL;
	l->next = ca->head;
	if (ca->head != NULL)
		ca->head->prev = l;
	ca->head = l;
	if (ca->tail == NULL)
		ca->tail = l;
}

/* A linear walk: LIMIT_CERT_CACHE is small next to one signature. */
static struct leaf *
lru_find(struct ca *ca, const char *names, uint32_t hash)
{
	struct leaf	*l;

	for (l = ca->head; l != NULL; l = l->next)
		if (l->hash == hash && strcmp(l->names, names) == 0)
			return l;
	return NULL;
}

/* Adds name to list unless it is there already (names are case-blind). */
static int
list_add(const char **list, size_t *n, const char *name)
{
	size_t	i;

	for (i = 0; i < *n; i++)
		if (strcasecmp(list[i], name) == 0)
			return 0;
	if (*n == LEAF_SANS)
		return 0;
	list[(*n)++] = name;
	return 1;
}

int
core_ca_leaf(struct ca *ca, const char *sni, const char *host,
    const char *const *extra_sans, X509 **cert, EVP_PKEY **key, char **cause)
{
	const char	*names[LEAF_SANS];
	uint8_t		 buf[16];
	size_t		 n = 0, i, len = 0;
	char		*joined = NULL, *p;
	uint32_t	 hash;
	struct leaf	*l;
	X509		*x;
	int		 rc = -1;

	if (sni != NULL && sni[0] == '\0')
		sni = NULL;
	if (sni != NULL && !parse_ip(sni, buf) && !valid_dns(sni)) {
		core_cause(cause, "invalid server name in the ClientHello");
		return -1;
	}
	/* No SNI (RFC 6066 makes it optional): the name the client asked
	 * for in its CONNECT, or the address it connected to. */
	if (sni == NULL && (host == NULL || (!parse_ip(host, buf) &&
	    !valid_dns(host)))) {
		core_cause(cause, "no server name and no host to make a "
		    "certificate for");
		return -1;
	}
	list_add(names, &n, sni != NULL ? sni : host);
	if (host != NULL && parse_ip(host, buf))
		list_add(names, &n, host);
	for (i = 0; extra_sans != NULL && extra_sans[i] != NULL; i++)
		if (parse_ip(extra_sans[i], buf) || valid_dns(extra_sans[i]))
			list_add(names, &n, extra_sans[i]);

	for (i = 0; i < n; i++)
		len += strlen(names[i]) + 1;
	if ((joined = malloc(len)) == NULL) {
		core_cause(cause, "out of memory");
		return -1;
	}
	for (p = joined, i = 0; i < n; i++) {
		p = stpcpy(p, names[i]);
		*p++ = i + 1 < n ? '\n' : '\0';
	}
	hash = hash_names(joined);

	if ((l = lru_find(ca, joined, hash)) != NULL) {
		lru_unlink(ca, l);
		lru_push(ca, l);
	} else {
		if ((x = make_leaf(ca, names, n)) == NULL) {
			core_cause(cause, "cannot sign a certificate for %s: %s",
			    names[0], core_tls_reason());
			goto out;
		}
		if ((l = calloc(1, sizeof *l)) == NULL) {
			X509_free(x);
			core_cause(cause, "out of memory");
			goto out;
		}
		l->names = joined;
		l->hash = hash;
		l->cert = x;
		joined = NULL;
		lru_push(ca, l);
		if (++ca->nleaves > LIMIT_CERT_CACHE) {
			struct leaf *old = ca->tail;
			lru_unlink(ca, old);
			leaf_free(old);
			ca->nleaves--;
		}
	}
	X509_up_ref(l->cert);
	EVP_PKEY_up_ref(ca->leaf_key);
	*cert = l->cert;
	*key = ca->leaf_key;
	rc = 0;
out:
	free(joined);
	return rc;
}

int
core_ca_use_leaf(struct ca *ca, SSL *ssl, const char *sni, const char *host,
    const char *const *extra_sans, char **cause)
{
	X509		*cert;
	EVP_PKEY	*key;
	int		 rc = 0;

	if (core_ca_leaf(ca, sni, host, extra_sans, &cert, &key, cause) == -1)
		return -1;
	if (!SSL_use_certificate(ssl, cert) || !SSL_use_PrivateKey(ssl, key)) {
		core_cause(cause, "cannot use the certificate: %s",
		    core_tls_reason());
		rc = -1;
	}
	X509_free(cert);
	EVP_PKEY_free(key);
	return rc;
}
