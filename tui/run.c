/*
 * run.c -- `trawl run -- CMD`: a cgroup of CMD's own, CMD started in it
 * as the invoking user, and everything removed when the run ends.
 */
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/magic.h>
#include <mntent.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/loop/cause.h"
#include "core/loop/loop.h"
#include "core/loop/notice.h"
#include "core/loop/trawl.h"
#include "tui/run.h"

/* The variables that point TLS libraries and tools at a CA bundle. */
static const char *const ca_vars[] = {
	"SSL_CERT_FILE",	/* OpenSSL's default, Python's ssl, Ruby, ... */
	"REQUESTS_CA_BUNDLE",	/* python-requests (certifi otherwise) */
	"NODE_EXTRA_CA_CERTS",	/* Node.js, added to its own roots */
	"CURL_CA_BUNDLE",	/* the curl tool */
	"GIT_SSL_CAINFO",	/* git over https */
};
#define NCA_VARS	(sizeof ca_vars / sizeof ca_vars[0])

/* Where Debian and its relatives keep the system's trusted CAs. */
static const char *const system_bundles[] = {
	"/etc/ssl/certs/ca-certificates.crt",
	"/etc/pki/tls/certs/ca-bundle.crt",
	"/etc/ssl/cert.pem",
};

static struct {
	char		*cgroup;	/* the cgroup we made, or NULL */
	char		*tmpdir;	/* the private folder, or NULL */
	char		*bundle;
	char		*log;		/* CMD's output (screen only) */
	char		*name;		/* CMD, for messages */
	struct loop	*loop;
	pid_t		 pid;		/* CMD, or 0 */
	int		 pidfd;
	int		 exited;
	int		 status;	/* as waitpid() gave it */
	int		 drop;		/* start CMD as uid/gid */
	uid_t		 uid;
	gid_t		 gid;
} run = { .pidfd = -1 };

static int
cgroup2_dir(const char *path)
{
	struct statfs	sfs;

	return statfs(path, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
}

/* The first cgroup2 mount in /proc/self/mounts. Caller frees. */
static char *
cgroup2_mount(void)
{
	struct mntent	*m;
	FILE		*f;
	char		*found = NULL;

	if ((f = setmntent("/proc/self/mounts", "r")) == NULL)
		return NULL;
	while (found == NULL && (m = getmntent(f)) != NULL)
		if (strcmp(m->mnt_type, "cgroup2") == 0)
			found = strdup(m->mnt_dir);
	endmntent(f);
	return found;
}

const char *
tui_run_prepare(const char *base, char **cause)
{
	char	*mnt = NULL, *path = NULL;

	if (base == NULL && (base = mnt = cgroup2_mount()) == NULL) {
		core_cause(cause, "run: no cgroup v2 mount in "
		    "/proc/self/mounts (mount one, or use --cgroup)");
		goto out;
	}
	if (!cgroup2_dir(base)) {
		core_cause(cause, "run: %s is not a cgroup v2 directory",
		    base);
		goto out;
	}
	if (asprintf(&path, "%s/trawl-run-%d", base, (int)getpid()) == -1) {
		path = NULL;
		core_cause(cause, "out of memory");
		goto out;
	}
	/* A crashed run of a process with our pid may have left it empty. */
	if (mkdir(path, 0755) == -1 && (errno != EEXIST || rmdir(path) == -1 ||
	    mkdir(path, 0755) == -1)) {
		core_cause(cause, "run: cannot make the cgroup %s: %s%s",
		    path, strerror(errno), errno == EACCES || errno == EPERM ?
		    " (run it through sudo, or give --cgroup a cgroup "
		    "delegated to you)" : "");
		free(path);
		path = NULL;
		goto out;
	}
	run.cgroup = path;
out:
	free(mnt);
	return path;
}

/* Whom CMD runs as: the user behind sudo when trawl is root through it. */
static int
find_user(char **cause)
{
	const char	*s = getenv("SUDO_UID"), *g = getenv("SUDO_GID");
	struct passwd	*pw;
	char		*end;
	unsigned long	 v;

	if (geteuid() != 0 || s == NULL || *s == '\0')
		return 0;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v >= UINT_MAX) {
		core_cause(cause, "run: SUDO_UID=%s is not a uid", s);
		return -1;
	}
	if (v == 0)
		return 0;
	run.uid = (uid_t)v;
	if (g != NULL && *g != '\0') {
		errno = 0;
		v = strtoul(g, &end, 10);
		if (errno != 0 || *end != '\0' || v >= UINT_MAX) {
			core_cause(cause, "run: SUDO_GID=%s is not a gid",
			    g);
			return -1;
		}
		run.gid = (gid_t)v;
	} else if ((pw = getpwuid(run.uid)) != NULL)
		run.gid = pw->pw_gid;
	else {
		core_cause(cause, "run: no SUDO_GID and no user %u",
		    (unsigned)run.uid);
		return -1;
	}
	run.drop = 1;
	return 0;
}

/* Appends the file at path to fd. 0, or -1 (errno set). */
static int
append_file(int fd, const char *path)
{
	char	buf[16384];
	ssize_t	n;
	int	in, rc = -1;

	if ((in = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(fd, buf, (size_t)n) != n)
			goto out;
	/* A file that does not end its last line would glue two PEMs. */
	if (n == 0 && write(fd, "\n", 1) == 1)
		rc = 0;
out:
	close(in);
	return rc;
}

/*
 * The private folder (0700, CMD's user's) with the CA bundle (the
 * system's CAs and trawl's, 0644) and, for the screen, the log (0600).
 */
static int
make_files(const char *ca_cert, char **cause)
{
	const char	*tmp = getenv("TMPDIR");
	char		 tmpl[PATH_MAX];
	size_t		 i;
	int		 fd = -1, rc = -1, sys = 0;

	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	snprintf(tmpl, sizeof tmpl, "%s/trawl-run.XXXXXX", tmp);
	if (mkdtemp(tmpl) == NULL || (run.tmpdir = strdup(tmpl)) == NULL) {
		core_cause(cause, "run: cannot make a folder in %s: %s",
		    tmp, strerror(errno));
		goto out;
	}
	if (run.drop && chown(run.tmpdir, run.uid, run.gid) == -1) {
		core_cause(cause, "run: chown %s: %s", run.tmpdir,
		    strerror(errno));
		goto out;
	}
	if (asprintf(&run.bundle, "%s/ca-bundle.pem", run.tmpdir) == -1) {
		run.bundle = NULL;
		core_cause(cause, "out of memory");
		goto out;
	}
	fd = open(run.bundle, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd == -1) {
		core_cause(cause, "run: %s: %s", run.bundle,
		    strerror(errno));
		goto out;
	}
	for (i = 0; i < sizeof system_bundles / sizeof system_bundles[0] &&
	    !sys; i++)
		sys = access(system_bundles[i], R_OK) == 0 &&
		    append_file(fd, system_bundles[i]) == 0;
	if (append_file(fd, ca_cert) == -1) {
		core_cause(cause, "run: cannot read trawl's CA %s: %s",
		    ca_cert, strerror(errno));
		goto out;
	}
	if (run.drop && fchown(fd, run.uid, run.gid) == -1) {
		core_cause(cause, "run: chown %s: %s", run.bundle,
		    strerror(errno));
		goto out;
	}
	if (!opts.dump) {
		close(fd);
		if (asprintf(&run.log, "%s/output.log", run.tmpdir) == -1) {
			run.log = NULL;
			core_cause(cause, "out of memory");
			goto out;
		}
		fd = open(run.log, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		    0600);
		if (fd == -1 || (run.drop && fchown(fd, run.uid,
		    run.gid) == -1)) {
			core_cause(cause, "run: %s: %s", run.log,
			    strerror(errno));
			goto out;
		}
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	return rc;
}

/* In the child: says what failed on the pipe, then exits. */
static void __attribute__((noreturn))
child_fail(int pfd, const char *what)
{
	char	msg[512];
	int	n;

	n = snprintf(msg, sizeof msg, "%s: %s", what, strerror(errno));
	if (n > 0 && write(pfd, msg, (size_t)n < sizeof msg ? (size_t)n :
	    sizeof msg - 1) == -1)
		_exit(127);
	_exit(127);
}

/* In the child: into the cgroup, down to the user, then exec. */
static void __attribute__((noreturn))
child(char **argv, int pfd)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE,
	    SIGQUIT, SIGCHLD };
	struct passwd	*pw;
	sigset_t	 set;
	char		 path[PATH_MAX];
	size_t		 i;
	int		 fd;

	/* trawl's handlers and ignored signals are not CMD's. */
	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		signal(sigs[i], SIG_DFL);
	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
	/* No descriptor of trawl's (tun, redirector, files) reaches CMD. */
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);

	if (run.log != NULL) {
		/* The screen owns the terminal: CMD gets none of it. */
		setpgid(0, 0);
		if ((fd = open("/dev/null", O_RDONLY)) == -1 ||
		    dup2(fd, 0) == -1)
			child_fail(pfd, "/dev/null");
		if ((fd = open(run.log, O_WRONLY | O_APPEND)) == -1 ||
		    dup2(fd, 1) == -1 || dup2(fd, 2) == -1)
			child_fail(pfd, run.log);
	}
	snprintf(path, sizeof path, "%s/cgroup.procs", run.cgroup);
	if ((fd = open(path, O_WRONLY)) == -1 || write(fd, "0\n", 2) != 2)
		child_fail(pfd, path);
	close(fd);

	if (run.drop) {
		pw = getpwuid(run.uid);
		if ((pw != NULL ? initgroups(pw->pw_name, run.gid) :
		    setgroups(0, NULL)) == -1)
			child_fail(pfd, "setting the user's groups");
		if (setgid(run.gid) == -1 || setuid(run.uid) == -1)
			child_fail(pfd, "dropping to the user");
		/* Root must be out of reach for good. */
		if (setuid(0) != -1 || getuid() != run.uid ||
		    geteuid() != run.uid || getegid() != run.gid) {
			errno = EPERM;
			child_fail(pfd, "dropping to the user");
		}
		/* sudo made these root's; CMD is the user's. */
		if (pw != NULL) {
			setenv("HOME", pw->pw_dir, 1);
			setenv("USER", pw->pw_name, 1);
			setenv("LOGNAME", pw->pw_name, 1);
		}
	}
	for (i = 0; i < NCA_VARS; i++)
		setenv(ca_vars[i], run.bundle, 1);
	execvp(argv[0], argv);
	child_fail(pfd, argv[0]);
}

static void
on_exit_cb(int fd, int events, void *arg)
{
	int	st;

	if (waitpid(run.pid, &st, WNOHANG) != run.pid)
		return;
	run.exited = 1;
	run.status = st;
	core_loop_del(run.loop, run.pidfd);
	close(run.pidfd);
	run.pidfd = -1;
	if (opts.dump) {
		trawl_quit = 1;
		return;
	}
	if (WIFSIGNALED(st))
		core_notice("%s was killed by signal %d (its output: %s)",
		    run.name, WTERMSIG(st), run.log);
	else
		core_notice("%s exited with status %d (its output: %s)",
		    run.name, WEXITSTATUS(st), run.log);
}

int
tui_run_start(struct loop *loop, char **argv, const char *ca_cert, int quiet,
    char **cause)
{
	struct passwd	*pw;
	char		 msg[512];
	ssize_t		 n;
	size_t		 i;
	int		 p[2] = { -1, -1 }, rc = -1, st;

	if (run.cgroup == NULL) {
		core_cause(cause, "run: no cgroup");
		return -1;
	}
	run.loop = loop;
	if ((run.name = strdup(argv[0])) == NULL) {
		core_cause(cause, "out of memory");
		return -1;
	}
	if (find_user(cause) != 0 || make_files(ca_cert, cause) != 0)
		return -1;
	if (pipe2(p, O_CLOEXEC) == -1) {
		core_cause(cause, "pipe: %s", strerror(errno));
		goto out;
	}
	fflush(NULL);
	if ((run.pid = fork()) == -1) {
		run.pid = 0;
		core_cause(cause, "fork: %s", strerror(errno));
		goto out;
	}
	if (run.pid == 0) {
		close(p[0]);
		child(argv, p[1]);
	}
	close(p[1]);
	p[1] = -1;
	/* End of file: exec worked; else the child says why it did not. */
	do
		n = read(p[0], msg, sizeof msg - 1);
	while (n == -1 && errno == EINTR);
	if (n > 0) {
		msg[n] = '\0';
		waitpid(run.pid, &st, 0);
		run.pid = 0;
		core_cause(cause, "run: %s", msg);
		goto out;
	}
	if ((run.pidfd = pidfd_open(run.pid, 0)) == -1 ||
	    core_loop_add(loop, run.pidfd, LOOP_READ, on_exit_cb, NULL) == -1) {
		core_cause(cause, "run: cannot watch %s: %s", argv[0],
		    strerror(errno));
		goto out;
	}
	if (!quiet) {
		pw = run.drop ? getpwuid(run.uid) : NULL;
		fprintf(stderr, "trawl: running %s (pid %d) in cgroup %s",
		    argv[0], (int)run.pid, run.cgroup);
		if (run.drop && pw != NULL)
			fprintf(stderr, " as %s", pw->pw_name);
		else if (run.drop)
			fprintf(stderr, " as uid %u", (unsigned)run.uid);
		fprintf(stderr, "\ntrawl: set ");
		for (i = 0; i < NCA_VARS; i++)
			fprintf(stderr, "%s%s", i > 0 ? ", " : "", ca_vars[i]);
		fprintf(stderr, " to %s (the system's CAs and trawl's)\n",
		    run.bundle);
		if (run.log != NULL)
			fprintf(stderr, "trawl: %s's output goes to %s\n",
			    argv[0], run.log);
	}
	rc = 0;
out:
	if (p[0] != -1)
		close(p[0]);
	if (p[1] != -1)
		close(p[1]);
	return rc;
}

void
tui_run_chown(const char *path)
{
	if (path != NULL && run.drop && chown(path, run.uid, run.gid) == -1)
		fprintf(stderr, "trawl: chown %s: %s\n", path, strerror(errno));
}

int
tui_run_exited(void)
{
	return run.exited;
}

/* The pids in the cgroup, counted. */
static int
count_procs(void)
{
	char	path[PATH_MAX], line[32];
	FILE	*f;
	int	n = 0;

	snprintf(path, sizeof path, "%s/cgroup.procs", run.cgroup);
	if ((f = fopen(path, "re")) == NULL)
		return 0;
	while (fgets(line, sizeof line, f) != NULL)
		n++;
	fclose(f);
	return n;
}

/* SIGKILL to every process in the cgroup (cgroup.kill: Linux 5.14+). */
static void
kill_all(void)
{
	char	path[PATH_MAX], line[32];
	FILE	*f;
	int	fd, done = 0;

	snprintf(path, sizeof path, "%s/cgroup.kill", run.cgroup);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) != -1) {
		done = write(fd, "1", 1) == 1;
		close(fd);
	}
	if (done)
		return;
	snprintf(path, sizeof path, "%s/cgroup.procs", run.cgroup);
	if ((f = fopen(path, "re")) == NULL)
		return;
	while (fgets(line, sizeof line, f) != NULL)
		if (atoi(line) > 0)
			kill(atoi(line), SIGKILL);
	fclose(f);
}

/* Removes the cgroup once its last process is gone (2 s at most). */
static void
remove_cgroup(void)
{
	int	i;

	for (i = 0; i < 200; i++) {
		if (rmdir(run.cgroup) == 0 || errno == ENOENT)
			return;
		if (errno != EBUSY)
			break;
		usleep(10000);
	}
	fprintf(stderr, "trawl: cannot remove the cgroup %s: %s\n",
	    run.cgroup, strerror(errno));
}

int
tui_run_finish(void)
{
	struct stat	st;
	int		n, status = -1, ws;

	if (run.pidfd != -1) {
		if (run.loop != NULL)
			core_loop_del(run.loop, run.pidfd);
		close(run.pidfd);
		run.pidfd = -1;
	}
	if (run.cgroup != NULL && (n = count_procs()) > 0) {
		fprintf(stderr, "trawl: killing %d process%s left in %s\n", n,
		    n == 1 ? "" : "es", run.cgroup);
		kill_all();
	}
	if (run.pid > 0 && !run.exited) {
		while (waitpid(run.pid, &ws, 0) == -1 && errno == EINTR)
			;
		run.exited = 1;
		run.status = ws;
	}
	if (run.pid > 0)
		status = WIFSIGNALED(run.status) ? 128 + WTERMSIG(run.status) :
		    WEXITSTATUS(run.status);
	if (run.cgroup != NULL)
		remove_cgroup();
	if (run.bundle != NULL)
		unlink(run.bundle);
	/* The log stays for the user to read, unless CMD said nothing. */
	if (run.log != NULL) {
		if (stat(run.log, &st) == 0 && st.st_size > 0)
			fprintf(stderr, "trawl: %s's output is in %s\n",
			    run.name, run.log);
		else
			unlink(run.log);
	}
	if (run.tmpdir != NULL)
		rmdir(run.tmpdir);
	free(run.cgroup);
	free(run.tmpdir);
	free(run.bundle);
	free(run.log);
	free(run.name);
	memset(&run, 0, sizeof run);
	run.pidfd = -1;
	return status;
}
