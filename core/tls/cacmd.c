/*
 * cacmd.c -- the `trawl ca` subcommand.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/tls/ca.h"
#include "core/tls/cacmd.h"

extern char **environ;

/* Runs update-ca-certificates; returns its exit status or -1. */
static int
update_store(FILE *out)
{
	char *argv[] = { "update-ca-certificates", NULL };
	pid_t pid;
	int st;

	if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ) != 0) {
		fprintf(out, "trawl: cannot run update-ca-certificates: %s "
		    "(install the ca-certificates package)\n", strerror(errno));
		return -1;
	}
	if (waitpid(pid, &st, 0) == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static int
copy_file(const char *from, const char *to, char *err, size_t errlen)
{
	char buf[8192];
	ssize_t n;
	int in, o, rc = -1;

	if ((in = open(from, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", from, strerror(errno));
		return -1;
	}
	o = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (o == -1) {
		snprintf(err, errlen, "%s: %s", to, strerror(errno));
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(o, buf, (size_t)n) != n)
			goto out;
	rc = n == 0 ? 0 : -1;
out:
	if (rc == -1)
		snprintf(err, errlen, "%s: %s", to, strerror(errno));
	close(in);
	if (close(o) == -1)
		rc = -1;
	return rc;
}

int
core_cacmd(const char *action, const char *confdir, FILE *out)
{
	char fp[96], err[512], *dir = NULL, *cause = NULL;
	struct ca *ca;
	int rc = 1;

	if (action != NULL && strcmp(action, "install") != 0 &&
	    strcmp(action, "uninstall") != 0) {
		fprintf(out, "trawl: unknown ca action '%s': expected install "
		    "or uninstall\n", action);
		return 2;
	}
	if (action != NULL && strcmp(action, "uninstall") == 0) {
		if (unlink(CACMD_SYSTEM_PATH) == -1 && errno != ENOENT) {
			fprintf(out, "trawl: %s: %s%s\n", CACMD_SYSTEM_PATH,
			    strerror(errno), errno == EACCES ? " (run as root)" :
			    "");
			return 1;
		}
		if (update_store(out) != 0)
			return 1;
		fprintf(out, "trawl's CA is no longer trusted system-wide.\n");
		return 0;
	}
	if (confdir == NULL && (dir = core_ca_default_confdir(&cause)) == NULL)
		goto fail;
	if ((ca = core_ca_load_or_create(confdir ? confdir : dir, &cause)) == NULL)
		goto fail;
	core_ca_fingerprint(ca, fp);
	if (core_ca_warning(ca) != NULL)
		fprintf(out, "trawl: warning: %s\n", core_ca_warning(ca));
	if (action == NULL) {
		fprintf(out,
		    "CA certificate: %s\n"
		    "        (DER): %s\n"
		    "SHA-256:        %s\n"
		    "\n"
		    "To trust it system-wide (Debian): trawl ca install (as root)\n"
		    "For one curl:   curl --cacert %s ...\n"
		    "For Python:     SSL_CERT_FILE=%s or REQUESTS_CA_BUNDLE=%s\n"
		    "For Firefox/Chrome: import the DER file as an authority.\n",
		    core_ca_cert_path(ca), core_ca_cert_der_path(ca), fp,
		    core_ca_cert_path(ca), core_ca_cert_path(ca),
		    core_ca_cert_path(ca));
		rc = 0;
	} else if (copy_file(core_ca_cert_path(ca), CACMD_SYSTEM_PATH, err,
	    sizeof err) == -1) {
		fprintf(out, "trawl: %s%s\n", err, geteuid() != 0 ?
		    " (run as root)" : "");
	} else if (update_store(out) == 0) {
		fprintf(out, "trawl's CA (%s) is now trusted system-wide.\n", fp);
		rc = 0;
	}
	core_ca_free(ca);
	free(dir);
	return rc;
fail:
	fprintf(out, "trawl: %s\n", cause != NULL ? cause : "cannot load the CA");
	free(cause);
	free(dir);
	return 1;
}
