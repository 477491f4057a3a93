/*
 * main.c -- trawl's entry point: the command line, then the front end.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/flows/filter.h"
#include "core/flows/flow.h"
#include "core/flows/har.h"
#include "core/flows/search.h"
#include "core/flows/store.h"
#include "core/loop/loop.h"
#include "core/loop/trawl.h"
#include "core/net/netns.h"
#include "core/net/pcap.h"
#include "core/flows/pcapflow.h"
#include "core/proxy/intercept.h"
#include "core/proxy/listen.h"
#include "core/proxy/local.h"
#include "core/proxy/mode.h"
#include "core/proxy/proxy.h"
#include "core/proxy/quic.h"
#include "core/proxy/rules.h"
#include "core/proxy/clientreplay.h"
#include "core/proxy/serverreplay.h"
#include "core/tls/ca.h"
#include "core/tls/keytap.h"
#include "core/tls/cacmd.h"
#include "core/tls/mitm.h"
#include "tui/dump.h"
#include "tui/dumpcmd.h"
#include "tui/run.h"
#include "tui/screen.h"
#include "tui/searchcmd.h"
#include "tui/work.h"

static struct har_writer	*har_out;
static struct filter		*save_filter;

static void
usage(FILE *out)
{
	fprintf(out,
"usage: trawl [options] [FILTER]\n"
"       trawl ca [install | uninstall]\n"
"       trawl run [options] [--] CMD [ARGS...]\n"
"\n"
"Inspect the network traffic of local programs.\n"
"\n"
"  --mode regular[@[HOST:]PORT]  explicit HTTP proxy (default 127.0.0.1:8080)\n"
"  --mode local[:SPEC]           capture programs by name or pid (see trawl(1))\n"
"  --mode reverse:URL[@[HOST:]PORT]   forward every request to one server\n"
"  --mode socks5[@[HOST:]PORT]   SOCKS5 proxy\n"
"  --mode upstream:URL[@[HOST:]PORT]  regular mode through another proxy\n"
"                                (--mode repeats: several modes at once)\n"
"  --proxyauth USER:PASS         socks5 modes ask clients for this login\n"
"  --upstream-auth USER:PASS     upstream mode logs in to the proxy with it\n"
"  --cgroup PATH                 local mode: capture only under this cgroup v2\n"
"  --netns PATH|PID              local mode: capture in this network namespace\n"
"  --container PID               local mode: in PID's netns and its cgroup\n"
"  --netns-upstream              connect upstream from inside that namespace\n"
"  --listen-host HOST            address to listen on (modes without @)\n"
"  -p, --listen-port PORT        port to listen on (modes without @)\n"
"  --dump                        no screen: print one line per finished flow\n"
"  --search TEXT                 no screen: print the hits of TEXT (re:REGEX),\n"
"                                exit 0 with hits, 1 without\n"
"  -q, --quiet                   print nothing (with --dump)\n"
"  --dump-messages               with --dump: a line per WebSocket message\n"
"  -w, --save FILE               save flows (matching FILTER) to a HAR file\n"
"  -r, --read FILE               load flows from a HAR file\n"
"  -n, --no-server               start no proxy\n"
"  --intercept EXPR              pause flows matching EXPR (repeatable)\n"
"  --intercept-timeout SECONDS   resume paused flows after SECONDS\n"
"  --view-filter EXPR            show only flows matching EXPR\n"
"  --modify-headers [/F]/NAME/[@]VALUE   set (or remove) a header\n"
"  --modify-body [/F]/REGEX/[@]REPL      substitute in decoded bodies\n"
"  --map-remote [/F]/URL-REGEX/URL       send requests elsewhere\n"
"  --map-local [/F]/URL-REGEX/PATH       answer from a file or directory\n"
"  --block-list [/F]/STATUS      answer matching requests with STATUS\n"
"  --anticache                   strip If-None-Match, If-Modified-Since\n"
"  --anticomp                    ask servers for identity encoding\n"
"  --server-replay FILE          answer requests from a HAR file's flows\n"
"  --server-replay-extra forward|kill|STATUS   requests no saved flow matches\n"
"  --server-replay-reuse         a saved response answers more than once\n"
"  --server-replay-ignore-params NAME     leave a query parameter out\n"
"  --server-replay-ignore-payload-params NAME   ... a form field\n"
"  --server-replay-ignore-content / -host / -port   leave those out\n"
"  --server-replay-use-headers NAME       match on a request header too\n"
"  --no-server-replay-refresh    keep saved Date, Expires, Last-Modified\n"
"  --client-replay FILE          send a HAR file's requests again\n"
"  --client-replay-concurrency N at most N at once (default 1)\n"
"  --config FILE                 options from FILE ($XDG_CONFIG_HOME/trawl/config)\n"
"  --case-sensitive-filters      regexes in filters match case-sensitively\n"
"  --confdir DIR                 where trawl's CA lives (~/.config/trawl)\n"
"  -k, --ssl-insecure            do not verify servers' certificates\n"
"  --upstream-ca FILE            also trust the CAs in this PEM file\n"
"  --ignore-hosts REGEX          pass TLS to matching hosts through (repeatable)\n"
"  --quic intercept|passthrough|block  QUIC in local mode (default intercept)\n"
"  --tls-auto-ignore             pass through hosts whose clients refused trawl's CA\n"
"  --keylog FILE                 append TLS keys for Wireshark (or SSLKEYLOGFILE)\n"
"  --pcap FILE                   write packets (pcapng; local mode: with TLS keys)\n"
"  -h, --help                    this help\n"
"  -v, --version                 print the version\n"
"\n"
"FILTER selects the flows --dump prints and -w saves; see trawl-filters(7).\n"
"`trawl run` captures CMD and everything it starts (in a cgroup of its own).\n"
"See trawl(1) for everything else.\n");
}

/*
 * Every connection costs a descriptor or two: Debian's soft limit of 1024
 * would stop trawl near 1,000 clients while the hard limit allows far
 * more. A process may raise its own soft limit up to the hard one.
 */
static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void
on_signal(int sig)
{
	trawl_quit = 1;
}

/*
 * `trawl run --dump`: ^C reaches CMD too (one process group), and CMD
 * decides whether it ends; trawl follows it. A second ^C ends trawl.
 */
static void
on_run_interrupt(int sig)
{
	static volatile sig_atomic_t n;

	if (++n > 1)
		trawl_quit = 1;
}

static int
parse_port(const char *s, int *port)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > 65535)
		return -1;
	*port = (int)v;
	return 0;
}

static void
on_store(enum store_event ev, struct flow *f, void *unused)
{
	char *cause = NULL;

	if (ev != STORE_FINISHED || har_out == NULL ||
	    !core_filter_match(save_filter, f))
		return;
	if (core_har_writer_add(har_out, f, &cause) == -1) {
		fprintf(stderr, "trawl: %s\n", cause ? cause : "cannot save");
		free(cause);
	}
}

/* --pcap: the client side's TLS secrets go into the capture. */
static void
on_secret(const char *line, size_t len, void *unused)
{
	core_pcap_secret(line, len);
}

/* --pcap outside local mode: each finished flow as synthesized packets
 * (plaintext HTTP/1.1; there is no client packet to copy). */
static void
pcap_emit(void *unused, double t, int from_client, const uint8_t *pkt,
    size_t len)
{
	core_pcap_packet_at(from_client ? PCAP_SENT : PCAP_RECEIVED, t, pkt,
	    len);
}

static void
on_pcap_flow(enum store_event ev, struct flow *f, void *unused)
{
	if (ev == STORE_FINISHED && f->type != FLOW_DNS)
		core_pcapflow_packets(f, pcap_emit, NULL, NULL);
}

/* Options of `trawl run` and --pcap, apart from the others' enum. */
enum { OPT_PCAP = 1000 };
/* --quic (issue 17). */
enum { OPT_QUIC = 1400 };
/* The modes' options (core/proxy/mode.h). */
enum { OPT_PROXYAUTH = 1100, OPT_UPSTREAM_AUTH };
/* Containers: --netns, --container, --netns-upstream. */
enum { OPT_NETNS = 1200, OPT_CONTAINER, OPT_NETNS_UPSTREAM };
enum { OPT_DUMP_MESSAGES = 1001 };
/* Server and client replay (core/proxy/serverreplay.h, clientreplay.h). */
enum {
	OPT_SREPLAY = 1300, OPT_SREPLAY_EXTRA, OPT_SREPLAY_REUSE,
	OPT_SREPLAY_IGN_PARAMS, OPT_SREPLAY_IGN_PAYLOAD, OPT_SREPLAY_IGN_CONTENT,
	OPT_SREPLAY_IGN_HOST, OPT_SREPLAY_IGN_PORT, OPT_SREPLAY_USE_HEADERS,
	OPT_SREPLAY_REFRESH, OPT_SREPLAY_NO_REFRESH, OPT_CREPLAY,
	OPT_CREPLAY_CONCURRENCY
};
/* Replay files, loaded once every option was read (the match key
 * depends on the options); sreplay_flags for serverreplay.h. */
static const char	**sreplay_files, **creplay_files;
static int		  nsreplay, ncreplay, sreplay_flags;

static void
file_push(const char ***list, int *n, const char *arg)
{
	if ((*list = realloc(*list, (*n + 1) * sizeof **list)) == NULL)
		abort();
	(*list)[(*n)++] = arg;
}

/* Each file loads now: a bad one is an error naming it, before
 * anything starts. */
static int
load_replays(void)
{
	char *cause = NULL;
	int i, rc;

	core_serverreplay_set_flags(sreplay_flags);
	for (i = 0; i < nsreplay + ncreplay; i++) {
		rc = i < nsreplay ?
		    core_serverreplay_load(sreplay_files[i], &cause) :
		    core_clientreplay_load(creplay_files[i - nsreplay], &cause);
		if (rc == -1) {
			fprintf(stderr, "trawl: %s\n", cause);
			free(cause);
			return -1;
		}
		if (rc == 1)
			fprintf(stderr, "trawl: warning: %s\n", cause);
		free(cause);
		cause = NULL;
	}
	free(sreplay_files);
	free(creplay_files);
	sreplay_files = creplay_files = NULL;
	return 0;
}

static void
creplay_report(const char *msg, void *unused)
{
	if (opts.dump)
		fprintf(stderr, "trawl: %s\n", msg);
	else
		tui_screen_message("%s", msg);
}

/* Every client replay ended: --dump says how it went and exits. */
static void
creplay_done(void *unused)
{
	size_t total, ok, bad;

	core_clientreplay_counts(&total, &ok, &bad);
	if (!opts.dump) {
		tui_screen_message("client replay: %zu requests, %zu answered, "
		    "%zu failed", total, ok, bad);
		return;
	}
	if (!opts.quiet)
		fprintf(stderr, "trawl: client replay: %zu requests, %zu "
		    "answered, %zu failed\n", total, ok, bad);
	trawl_quit = 1;
}

static void
load_one(struct flow *f, void *unused)
{
	core_store_add(f);
}

enum {
	OPT_MODE = 256, OPT_LISTEN_HOST, OPT_DUMP, OPT_CASE, OPT_INTERCEPT,
	OPT_INTERCEPT_TIMEOUT, OPT_VIEW_FILTER, OPT_CONFDIR, OPT_UPSTREAM_CA,
	OPT_IGNORE_HOSTS, OPT_TLS_AUTO_IGNORE, OPT_KEYLOG, OPT_CGROUP, OPT_SEARCH,
	OPT_CONFIG,
	/* One per rules kind, in enum rules_kind's order. */
	OPT_RULE_FIRST
};

/* A rule option, compiled after every option was read. */
struct rule_opt {
	enum rules_kind	 kind;
	const char	*spec;
};

/* Static, so that an early exit leaves nothing a leak checker sees. */
static struct rule_opt	*ropts;
static char		**cargs, **nargv;
static int		 ncargs;
/* --mode options, from the config file and from the command line. */
static const char	**cmodes, **lmodes;

/* Whether a word came from the config file (its options come first,
 * and the command line's --mode options replace its ones). */
static int
from_config(const char *arg)
{
	int i;

	for (i = 0; i < ncargs; i++)
		if (arg >= cargs[i] && arg < cargs[i] + strlen(cargs[i]) + 1)
			return 1;
	return 0;
}

static void
mode_push(const char ***list, int *n, const char *arg)
{
	if ((*list = realloc(*list, (*n + 1) * sizeof **list)) == NULL)
		abort();
	(*list)[(*n)++] = arg;
}

/* The modes, each checked now (a bad one is an error before anything
 * starts): the command line's, else the config file's, else regular. */
static int
add_modes(int run, int none, int nc, int nl)
{
	const char **list = nl > 0 ? lmodes : cmodes;
	char *cause = NULL;
	int i, n = nl > 0 ? nl : nc;

	for (i = 0; i < n; i++)
		if (core_mode_add(list[i], &cause) == -1) {
			fprintf(stderr, "trawl: %s\n", cause);
			free(cause);
			return -1;
		}
	free(cmodes);
	free(lmodes);
	cmodes = lmodes = NULL;
	/* trawl run captures the whole cgroup, unless local:SPEC narrows
	 * it; otherwise no --mode means regular. */
	if (run && core_mode_local() == NULL)
		core_mode_add("local", NULL);
	else if (n == 0 && !none)
		core_mode_add("regular", NULL);
	if (core_mode_check(&cause) == -1) {
		fprintf(stderr, "trawl: %s\n", cause);
		free(cause);
		return -1;
	}
	if (none)
		opts.mode = MODE_NONE;
	else if (core_mode_local() != NULL) {
		opts.mode = MODE_LOCAL;
		free(opts.spec);
		opts.spec = strdup(core_mode_local()->local_spec);
	} else
		opts.mode = MODE_REGULAR;
	return 0;
}

/*
 * --netns PATH|PID, --container PID: resolved and checked now, so that a
 * bad one is an error before anything starts. --container also names the
 * cgroup (the process's own).
 */
static int
check_netns(int run, int none, const char *netns, const char *container)
{
	char *cause = NULL, *cg = NULL;

	if (netns == NULL && container == NULL) {
		if (!opts.netns_upstream)
			return 0;
		fprintf(stderr, "trawl: --netns-upstream needs --netns or "
		    "--container\n");
		return -1;
	}
	if (run || none) {
		fprintf(stderr, "trawl: --netns and --container capture in "
		    "local mode, not with %s\n", run ? "trawl run" : "-n");
		return -1;
	}
	if (netns != NULL && container != NULL) {
		fprintf(stderr, "trawl: --netns or --container, not both\n");
		return -1;
	}
	if (container != NULL && opts.cgroup != NULL) {
		fprintf(stderr, "trawl: --container captures PID's own cgroup: "
		    "use --netns with --cgroup\n");
		return -1;
	}
	if (container != NULL && !core_netns_is_pid(container)) {
		fprintf(stderr, "trawl: --container %s: not a pid\n",
		    container);
		return -1;
	}
	if (core_netns_resolve(netns != NULL ? netns : container, &opts.netns,
	    &cause) == -1 || (container != NULL &&
	    core_netns_cgroup(container, &cg, &cause) == -1)) {
		fprintf(stderr, "trawl: %s\n", cause);
		free(cause);
		return -1;
	}
	if (cg != NULL)
		opts.cgroup = cg;
	return 0;
}

/* What listens where, on standard error (--dump). */
static void
say_listening(void)
{
	const struct proxy_mode *m;

	for (m = core_mode_first(); m != NULL; m = m->next) {
		if (m->listener == NULL)
			continue;
		if (m->kind == MODE_KIND_REGULAR)
			fprintf(stderr, "trawl: HTTP proxy listening at %s\n",
			    core_listener_address(m->listener));
		else
			fprintf(stderr, "trawl: %s listening at %s\n", m->spec,
			    core_listener_address(m->listener));
	}
}

static int
add_rules(const struct rule_opt *ro, int n)
{
	char *cause = NULL;
	int i;

	for (i = 0; i < n; i++) {
		if (core_rules_add(ro[i].kind, ro[i].spec, &cause) == -1) {
			fprintf(stderr, "trawl: bad --%s: %s\n",
			    core_rules_kind_name(ro[i].kind), cause);
			free(cause);
			return -1;
		}
	}
	return 0;
}

/* Options the config file may not hold. */
static int
config_refuses(const char *name)
{
	return strcmp(name, "config") == 0 || strcmp(name, "help") == 0 ||
	    strcmp(name, "version") == 0;
}

/*
 * Reads a config file of long options, one a line ("name = value",
 * "name value", or "name" for a switch; '#' starts a comment), into
 * args as "--name=value" words (caller frees each and the array).
 * must: a missing file is an error (--config), else nothing to read.
 * Rule specs are compiled once here, so an error names the line.
 */
static int
read_config(const char *path, int must, const struct option *longopts,
    char ***args, int *nargs)
{
	FILE *fp;
	char *line = NULL, *cause = NULL;
	size_t cap = 0;
	int lineno = 0, rc = -1;

	if ((fp = fopen(path, "r")) == NULL) {
		if (!must && (errno == ENOENT || errno == ENOTDIR))
			return 0;
		/* The default file in a place this user cannot read (another
		 * user's XDG_CONFIG_HOME kept through sudo): said, not fatal. */
		if (!must && errno == EACCES) {
			fprintf(stderr, "trawl: %s: %s (not read)\n", path,
			    strerror(errno));
			return 0;
		}
		fprintf(stderr, "trawl: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (getline(&line, &cap, fp) != -1) {
		char *p = line, *name, *val = NULL, *e, *word;
		const struct option *o;
		int kind;

		lineno++;
		p += strspn(p, " \t");
		e = p + strlen(p);
		while (e > p && strchr(" \t\r\n", e[-1]) != NULL)
			*--e = '\0';
		if (*p == '\0' || *p == '#')
			continue;
		if (strncmp(p, "--", 2) == 0)
			p += 2;
		name = p;
		p += strcspn(p, " \t=");
		if (*p != '\0') {
			*p++ = '\0';
			p += strspn(p, " \t");
			if (*p == '=')
				p++;
			p += strspn(p, " \t");
			val = p;
			e = val + strlen(val);
			if (e - val >= 2 && val[0] == '"' && e[-1] == '"') {
				e[-1] = '\0';
				val++;
			}
		}
		for (o = longopts; o->name != NULL; o++)
			if (strcmp(o->name, name) == 0)
				break;
		if (o->name == NULL || config_refuses(name)) {
			fprintf(stderr, "trawl: %s:%d: %s option '%s'\n", path,
			    lineno, o->name == NULL ? "unknown" : "no config "
			    "file may hold the", name);
			goto out;
		}
		if (o->has_arg == required_argument && val == NULL) {
			fprintf(stderr, "trawl: %s:%d: '%s' needs a value\n",
			    path, lineno, name);
			goto out;
		}
		if (o->has_arg == no_argument && val != NULL && *val != '\0') {
			fprintf(stderr, "trawl: %s:%d: '%s' takes no value\n",
			    path, lineno, name);
			goto out;
		}
		kind = core_rules_kind_of(name);
		if (kind >= 0 && core_rules_kind_has_spec(kind)) {
			int id = core_rules_add(kind, val, &cause);

			if (id == -1) {
				fprintf(stderr, "trawl: %s:%d: bad %s: %s\n",
				    path, lineno, name, cause);
				free(cause);
				goto out;
			}
			core_rules_remove(id);	/* compiled for real later */
		}
		if (asprintf(&word, o->has_arg == no_argument ? "--%s" :
		    "--%s=%s", name, val) == -1)
			abort();
		*args = realloc(*args, (*nargs + 1) * sizeof **args);
		if (*args == NULL)
			abort();
		(*args)[(*nargs)++] = word;
	}
	rc = 0;
out:
	free(line);
	fclose(fp);
	return rc;
}

/* The config file: --config FILE (or --config=FILE) on the command
 * line, else $XDG_CONFIG_HOME/trawl/config (~/.config/trawl/config). */
static int
config_args(int argc, char **argv, const struct option *longopts,
    char ***args, int *nargs)
{
	const char *file = NULL, *xdg = getenv("XDG_CONFIG_HOME"),
	    *home = getenv("HOME");
	char *def = NULL;
	int i, rc;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			file = argv[++i];
		else if (strncmp(argv[i], "--config=", 9) == 0)
			file = argv[i] + 9;
	}
	if (file != NULL)
		return read_config(file, 1, longopts, args, nargs);
	if (xdg != NULL && xdg[0] != '\0') {
		if (asprintf(&def, "%s/trawl/config", xdg) == -1)
			abort();
	} else if (home != NULL) {
		if (asprintf(&def, "%s/.config/trawl/config", home) == -1)
			abort();
	} else
		return 0;
	rc = read_config(def, 0, longopts, args, nargs);
	free(def);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "mode", required_argument, NULL, OPT_MODE },
		{ "listen-host", required_argument, NULL, OPT_LISTEN_HOST },
		{ "listen-port", required_argument, NULL, 'p' },
		{ "dump", no_argument, NULL, OPT_DUMP },
		{ "quiet", no_argument, NULL, 'q' },
		{ "save", required_argument, NULL, 'w' },
		{ "read", required_argument, NULL, 'r' },
		{ "no-server", no_argument, NULL, 'n' },
		{ "case-sensitive-filters", no_argument, NULL, OPT_CASE },
		{ "intercept", required_argument, NULL, OPT_INTERCEPT },
		{ "intercept-timeout", required_argument, NULL,
		    OPT_INTERCEPT_TIMEOUT },
		{ "view-filter", required_argument, NULL, OPT_VIEW_FILTER },
		{ "confdir", required_argument, NULL, OPT_CONFDIR },
		{ "ssl-insecure", no_argument, NULL, 'k' },
		{ "upstream-ca", required_argument, NULL, OPT_UPSTREAM_CA },
		{ "ignore-hosts", required_argument, NULL, OPT_IGNORE_HOSTS },
		{ "tls-auto-ignore", no_argument, NULL, OPT_TLS_AUTO_IGNORE },
		{ "keylog", required_argument, NULL, OPT_KEYLOG },
		{ "cgroup", required_argument, NULL, OPT_CGROUP },
		{ "search", required_argument, NULL, OPT_SEARCH },
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "modify-headers", required_argument, NULL,
		    OPT_RULE_FIRST + RULES_MODIFY_HEADERS },
		{ "modify-body", required_argument, NULL,
		    OPT_RULE_FIRST + RULES_MODIFY_BODY },
		{ "map-remote", required_argument, NULL,
		    OPT_RULE_FIRST + RULES_MAP_REMOTE },
		{ "map-local", required_argument, NULL,
		    OPT_RULE_FIRST + RULES_MAP_LOCAL },
		{ "block-list", required_argument, NULL,
		    OPT_RULE_FIRST + RULES_BLOCK_LIST },
		{ "anticache", no_argument, NULL,
		    OPT_RULE_FIRST + RULES_ANTICACHE },
		{ "anticomp", no_argument, NULL,
		    OPT_RULE_FIRST + RULES_ANTICOMP },
		{ "pcap", required_argument, NULL, OPT_PCAP },
		{ "quic", required_argument, NULL, OPT_QUIC },
		{ "netns", required_argument, NULL, OPT_NETNS },
		{ "container", required_argument, NULL, OPT_CONTAINER },
		{ "netns-upstream", no_argument, NULL, OPT_NETNS_UPSTREAM },
		{ "proxyauth", required_argument, NULL, OPT_PROXYAUTH },
		{ "upstream-auth", required_argument, NULL, OPT_UPSTREAM_AUTH },
		{ "dump-messages", no_argument, NULL, OPT_DUMP_MESSAGES },
		{ "server-replay", required_argument, NULL, OPT_SREPLAY },
		{ "server-replay-extra", required_argument, NULL,
		    OPT_SREPLAY_EXTRA },
		{ "server-replay-reuse", no_argument, NULL, OPT_SREPLAY_REUSE },
		{ "server-replay-ignore-params", required_argument, NULL,
		    OPT_SREPLAY_IGN_PARAMS },
		{ "server-replay-ignore-payload-params", required_argument,
		    NULL, OPT_SREPLAY_IGN_PAYLOAD },
		{ "server-replay-ignore-content", no_argument, NULL,
		    OPT_SREPLAY_IGN_CONTENT },
		{ "server-replay-ignore-host", no_argument, NULL,
		    OPT_SREPLAY_IGN_HOST },
		{ "server-replay-ignore-port", no_argument, NULL,
		    OPT_SREPLAY_IGN_PORT },
		{ "server-replay-use-headers", required_argument, NULL,
		    OPT_SREPLAY_USE_HEADERS },
		{ "server-replay-refresh", no_argument, NULL,
		    OPT_SREPLAY_REFRESH },
		{ "no-server-replay-refresh", no_argument, NULL,
		    OPT_SREPLAY_NO_REFRESH },
		{ "client-replay", required_argument, NULL, OPT_CREPLAY },
		{ "client-replay-concurrency", required_argument, NULL,
		    OPT_CREPLAY_CONCURRENCY },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 }
	};
	struct filter *filter = NULL, *vf;
	struct search *search = NULL;
	const char *search_text = NULL;
	struct sigaction sa;
	char *cause = NULL, *end, **rules = NULL;
	struct mitm_options mo;
	int ch, fflags = 0, rc = 1, nrules = 0, i, nropts = 0;
	int ncmodes = 0, nlmodes = 0, none = 0;
	double secs;
	/* `trawl run`: CMD's argv, and the cgroup made for it. */
	char **run_argv = NULL;
	const char *run_cgroup = NULL, *pcap_file = NULL;
	const char *netns_arg = NULL, *container = NULL;
	int run = 0, run_rc;

	raise_nofile();
	memset(&mo, 0, sizeof mo);
	/* `trawl ca ...` is a subcommand; look for --confdir before it. */
	for (i = 1; i < argc && argv[i][0] == '-'; i++)
		if (strcmp(argv[i], "--confdir") == 0 && i + 1 < argc)
			mo.confdir = argv[++i];
	if (i < argc && strcmp(argv[i], "ca") == 0 && i + 2 >= argc)
		return core_cacmd(i + 1 < argc ? argv[i + 1] : NULL, mo.confdir,
		    stdout);

	/* The config file's options come first: the command line's win
	 * where an option is given once, and add where it repeats. */
	if (config_args(argc, argv, longopts, &cargs, &ncargs) == -1)
		return 2;
	if ((nargv = calloc(argc + ncargs + 1, sizeof *nargv)) == NULL)
		abort();
	nargv[0] = argv[0];
	for (i = 0; i < ncargs; i++)
		nargv[1 + i] = cargs[i];
	for (i = 1; i < argc; i++)
		nargv[ncargs + i] = argv[i];
	argc += ncargs;
	argv = nargv;

	opts.mode = MODE_REGULAR;
	opts.listen_host = strdup("127.0.0.1");
	opts.listen_port = 8080;
	/* `trawl run [options] [--] CMD`: options stop at CMD ('+'). */
	if (argc > 1 && strcmp(argv[1], "run") == 0) {
		run = 1;
		argv[1] = argv[0];
		argv++;
		argc--;
	}
	while ((ch = getopt_long(argc, argv, run ? "+p:qw:r:nhvk" :
	    "p:qw:r:nhvk", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_MODE:
			if (from_config(optarg))
				mode_push(&cmodes, &ncmodes, optarg);
			else
				mode_push(&lmodes, &nlmodes, optarg);
			break;
		case OPT_PROXYAUTH:
			if (core_mode_set_proxyauth(optarg, &cause) == -1)
				goto bad_option;
			break;
		case OPT_UPSTREAM_AUTH:
			if (core_mode_set_upstream_auth(optarg, &cause) == -1)
				goto bad_option;
			break;
		case OPT_LISTEN_HOST:
			free(opts.listen_host);
			opts.listen_host = strdup(optarg);
			break;
		case 'p':
			if (parse_port(optarg, &opts.listen_port) == -1) {
				fprintf(stderr, "trawl: bad port '%s'\n", optarg);
				return 2;
			}
			break;
		case OPT_DUMP:
			opts.dump = 1;
			break;
		case 'q':
			opts.quiet = 1;
			break;
		case 'w':
			opts.write_file = optarg;
			break;
		case 'r':
			opts.read_file = optarg;
			break;
		case 'n':
			none = 1;
			break;
		case OPT_CASE:
			fflags |= FILTER_CASE_SENSITIVE;
			break;
		case OPT_INTERCEPT:
			rules = realloc(rules, (nrules + 1) * sizeof *rules);
			rules[nrules++] = optarg;
			break;
		case OPT_INTERCEPT_TIMEOUT:
			errno = 0;
			secs = strtod(optarg, &end);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    secs < 0) {
				fprintf(stderr, "trawl: bad --intercept-timeout "
				    "'%s': expected seconds\n", optarg);
				return 2;
			}
			core_intercept_set_timeout(secs);
			break;
		case OPT_VIEW_FILTER:
			opts.view_filter = optarg;
			break;
		case OPT_CONFDIR:
			mo.confdir = optarg;
			break;
		case 'k':
			mo.insecure = 1;
			break;
		case OPT_UPSTREAM_CA:
			mo.upstream_ca = optarg;
			break;
		case OPT_IGNORE_HOSTS:
			if (core_mitm_ignore_add(optarg, &cause) == -1) {
				fprintf(stderr, "trawl: %s\n", cause);
				free(cause);
				return 2;
			}
			break;
		case OPT_QUIC:
			if (core_quic_set_mode(optarg) == -1) {
				fprintf(stderr, "trawl: --quic: '%s' is not "
				    "intercept, passthrough or block\n", optarg);
				return 2;
			}
			break;
		case OPT_TLS_AUTO_IGNORE:
			mo.auto_ignore = 1;
			break;
		case OPT_KEYLOG:
			mo.keylog = optarg;
			break;
		case OPT_CGROUP:
			opts.cgroup = optarg;
			break;
		case OPT_SEARCH:
			search_text = optarg;
			opts.dump = 1;	/* the hits are the output */
			break;
		case OPT_CONFIG:
			break;		/* read before the others */
		case OPT_RULE_FIRST + RULES_MODIFY_HEADERS:
		case OPT_RULE_FIRST + RULES_MODIFY_BODY:
		case OPT_RULE_FIRST + RULES_MAP_REMOTE:
		case OPT_RULE_FIRST + RULES_MAP_LOCAL:
		case OPT_RULE_FIRST + RULES_BLOCK_LIST:
		case OPT_RULE_FIRST + RULES_ANTICACHE:
		case OPT_RULE_FIRST + RULES_ANTICOMP:
			ropts = realloc(ropts, (nropts + 1) * sizeof *ropts);
			if (ropts == NULL)
				abort();
			ropts[nropts].kind = ch - OPT_RULE_FIRST;
			ropts[nropts++].spec = optarg;
			break;
		case OPT_DUMP_MESSAGES:
			tui_dump_messages(1);
			break;
		case OPT_PCAP:
			pcap_file = optarg;
			break;
		case OPT_NETNS:
			netns_arg = optarg;
			break;
		case OPT_CONTAINER:
			container = optarg;
			break;
		case OPT_NETNS_UPSTREAM:
			opts.netns_upstream = 1;
			break;
		case OPT_SREPLAY:
			file_push(&sreplay_files, &nsreplay, optarg);
			break;
		case OPT_SREPLAY_EXTRA:
			if (core_serverreplay_set_extra(optarg, &cause) == -1)
				goto bad_option;
			break;
		case OPT_SREPLAY_REUSE:
			sreplay_flags |= SREPLAY_REUSE;
			break;
		case OPT_SREPLAY_IGN_PARAMS:
			core_serverreplay_ignore_param(optarg);
			break;
		case OPT_SREPLAY_IGN_PAYLOAD:
			core_serverreplay_ignore_payload(optarg);
			break;
		case OPT_SREPLAY_IGN_CONTENT:
			sreplay_flags |= SREPLAY_IGNORE_CONTENT;
			break;
		case OPT_SREPLAY_IGN_HOST:
			sreplay_flags |= SREPLAY_IGNORE_HOST;
			break;
		case OPT_SREPLAY_IGN_PORT:
			sreplay_flags |= SREPLAY_IGNORE_PORT;
			break;
		case OPT_SREPLAY_USE_HEADERS:
			core_serverreplay_use_header(optarg);
			break;
		case OPT_SREPLAY_REFRESH:
			sreplay_flags &= ~SREPLAY_NO_REFRESH;
			break;
		case OPT_SREPLAY_NO_REFRESH:
			sreplay_flags |= SREPLAY_NO_REFRESH;
			break;
		case OPT_CREPLAY:
			file_push(&creplay_files, &ncreplay, optarg);
			break;
		case OPT_CREPLAY_CONCURRENCY:
			errno = 0;
			secs = strtod(optarg, &end);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    secs < 1 || secs > 1000 || secs != (int)secs) {
				fprintf(stderr, "trawl: bad "
				    "--client-replay-concurrency '%s': expected "
				    "a number from 1 to 1000\n", optarg);
				return 2;
			}
			core_clientreplay_set_concurrency((int)secs);
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'v':
			printf("trawl %s\n", TRAWL_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
		continue;
bad_option:
		fprintf(stderr, "trawl: %s\n", cause);
		free(cause);
		return 2;
	}
	if (run && none) {
		fprintf(stderr, "trawl: run captures in local mode: "
		    "-n does not go with it\n");
		return 2;
	}
	if (check_netns(run, none, netns_arg, container) == -1)
		return 2;
	/* A namespace to capture in means local mode, like trawl run. */
	if (add_modes(run || opts.netns != NULL, none, ncmodes, nlmodes) == -1)
		return 2;
	if (run) {
		if (optind >= argc) {
			fprintf(stderr, "trawl: run: no command given\n");
			usage(stderr);
			return 2;
		}
		run_argv = argv + optind;
	} else if (optind < argc) {
		size_t len = 0;
		int i;

		/* The filter may come as several words: join them. */
		for (i = optind; i < argc; i++)
			len += strlen(argv[i]) + 1;
		opts.filter = calloc(1, len + 1);
		for (i = optind; i < argc; i++) {
			if (i > optind)
				strcat(opts.filter, " ");
			strcat(opts.filter, argv[i]);
		}
		filter = core_filter_compile(opts.filter, fflags, &cause);
		if (filter == NULL) {
			fprintf(stderr, "trawl: bad filter: %s\n", cause);
			free(cause);
			return 2;
		}
	}
	/* Rules compile after all options, so --case-sensitive-filters
	 * applies wherever it was given. */
	core_intercept_set_filter_flags(fflags);
	for (i = 0; i < nrules; i++) {
		if (core_intercept_add(rules[i], &cause) == -1) {
			fprintf(stderr, "trawl: bad --intercept: %s\n", cause);
			free(cause);
			return 2;
		}
	}
	free(rules);
	if (search_text != NULL &&
	    (search = core_search_compile(search_text, &cause)) == NULL) {
		fprintf(stderr, "trawl: bad --search: %s\n", cause);
		free(cause);
		return 2;
	}
	core_rules_set_filter_flags(fflags);
	if (add_rules(ropts, nropts) == -1)
		return 2;
	free(ropts);
	if (load_replays() == -1)
		return 2;
	if (opts.view_filter != NULL) {
		vf = core_filter_compile(opts.view_filter, fflags, &cause);
		if (vf == NULL) {
			fprintf(stderr, "trawl: bad --view-filter: %s\n", cause);
			free(cause);
			return 2;
		}
		core_filter_free(vf);
	}
	/* The screen needs a terminal: say so before anything is set up
	 * (local mode would otherwise capture, then stop at once). */
	if (!opts.dump && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))) {
		fprintf(stderr, "trawl: the screen needs a terminal; use --dump "
		    "to run without one\n");
		return 1;
	}
	if (run && (run_cgroup = tui_run_prepare(opts.cgroup, &cause)) == NULL) {
		fprintf(stderr, "trawl: %s\n", cause);
		free(cause);
		return 1;
	}
	/* Before the screen: the redirector may go through sudo's prompt. */
	if (opts.mode == MODE_LOCAL && core_local_prepare(opts.spec,
	    run ? run_cgroup : opts.cgroup, &cause) == -1) {
		fprintf(stderr, "trawl: %s\n", cause ? cause :
		    "cannot start local mode");
		free(cause);
		tui_run_finish();
		return 1;
	}
	opts.filter_flags = fflags;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = run && opts.dump ? on_run_interrupt : on_signal;
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	core_loop = core_loop_new();
	if (core_loop == NULL) {
		fprintf(stderr, "trawl: cannot create the event loop\n");
		return 1;
	}
	if (search != NULL)
		tui_searchcmd_start(stdout, search, filter, opts.quiet);
	else if (opts.dump && !opts.quiet)
		tui_dump_start(stdout, filter);
	if (opts.write_file != NULL) {
		har_out = core_har_writer_open(opts.write_file, &cause);
		if (har_out == NULL) {
			fprintf(stderr, "trawl: %s\n", cause);
			goto out;
		}
		save_filter = filter;
		core_store_subscribe(on_store, NULL);
	}
	if (opts.read_file != NULL && !opts.dump) {
		/* The screen opens at once and fills as the flows load. */
		if (tui_work_load(opts.read_file, &cause) == -1) {
			fprintf(stderr, "trawl: %s\n", cause);
			goto out;
		}
	} else if (opts.read_file != NULL) {
		int loaded = core_har_load(opts.read_file, load_one, NULL, &cause);

		if (loaded == -1) {
			fprintf(stderr, "trawl: %s\n", cause);
			goto out;
		}
		if (loaded == 1) {
			/* Some entries were unusable; the rest loaded. */
			fprintf(stderr, "trawl: warning: %s\n", cause);
			free(cause);
			cause = NULL;
		}
	}
	if (opts.mode == MODE_NONE && opts.dump && !core_clientreplay_active()) {
		rc = 0;
		goto out;
	}
	if ((opts.mode != MODE_NONE || core_clientreplay_active()) &&
	    core_mitm_init(&mo, &cause) == -1) {
		fprintf(stderr, "trawl: %s\n", cause ? cause : "TLS setup failed");
		goto out;
	}
	if (opts.mode != MODE_NONE && core_mode_start(opts.listen_host,
	    opts.listen_port, &cause) == -1) {
		fprintf(stderr, "trawl: %s\n", cause ? cause : "cannot listen");
		goto out;
	}
	if (pcap_file != NULL) {
		if (core_pcap_open(pcap_file, &cause) == -1) {
			fprintf(stderr, "trawl: %s\n", cause);
			goto out;
		}
		if (opts.mode == MODE_LOCAL)
			core_keytap_set(on_secret, NULL);
		else
			core_store_subscribe(on_pcap_flow, NULL);
		if (!opts.quiet)
			fprintf(stderr, "trawl: writing %s to %s (pcapng)\n",
			    opts.mode == MODE_LOCAL ? "packets and TLS secrets" :
			    "each finished flow as packets", pcap_file);
	}
	if (opts.mode == MODE_LOCAL && core_local_start(core_loop, &cause) == -1) {
		fprintf(stderr, "trawl: %s\n", cause ? cause : "local mode failed");
		goto out;
	}
	if (run && tui_run_start(core_loop, run_argv,
	    core_ca_cert_path(core_mitm_ca()), opts.quiet, &cause) == -1) {
		fprintf(stderr, "trawl: %s\n", cause);
		goto out;
	}
	if (run) {
		tui_run_chown(pcap_file);
		tui_run_chown(opts.write_file);
	}
	core_clientreplay_start(creplay_report, creplay_done, NULL);
	if (opts.dump) {
		if (!opts.quiet && opts.mode == MODE_LOCAL)
			fprintf(stderr, "trawl: %s\n", core_local_status());
		if (!opts.quiet)
			say_listening();
		/* CMD owns the terminal's input under `trawl run`. */
		if (!run)
			tui_dumpcmd_start(STDIN_FILENO, stdout);
		rc = core_loop_run(core_loop) == 0 ? 0 : 1;
		if (rc == 0 && core_clientreplay_active()) {
			/* 0 only when every saved request got a response. */
			size_t total, ok, bad;

			core_clientreplay_counts(&total, &ok, &bad);
			rc = ok == total ? 0 : 1;
		}
	} else
		rc = tui_screen_run();
	core_mode_stop();
	core_proxy_shutdown();
out:
	if (opts.mode == MODE_LOCAL && core_local_gone()) {
		/* Capture stopped under us: a script should know. */
		fprintf(stderr, "trawl: trawl-redirector exited; local capture "
		    "stopped\n");
		rc = 1;
	}
	core_local_stop();
	if (search != NULL) {
		/* Like grep: 0 with a hit, 1 without, 2 when it failed. */
		tui_searchcmd_done(stderr);
		rc = rc != 0 ? 2 : tui_searchcmd_hits() > 0 ? 0 : 1;
	}
	core_search_free(search);
	core_keytap_set(NULL, NULL);
	if (core_pcap_close(&cause) == -1) {
		fprintf(stderr, "trawl: %s\n", cause);
		rc = 1;
	}
	/* After the capture: what CMD left is killed, its cgroup removed;
	 * with --dump trawl's status is CMD's. */
	if (run && (run_rc = tui_run_finish()) != -1 && opts.dump &&
	    (run_rc != 0 || rc == 0))
		rc = run_rc;
	free(cause);
	if (har_out != NULL)
		core_har_writer_close(har_out);
	tui_work_done();	/* a load the screen never ran */
	core_clientreplay_clear();
	core_serverreplay_clear();
	core_store_free();
	core_mitm_free();
	core_filter_free(filter);
	/* The modes' listeners leave the loop before it goes (an early
	 * error, a bad --pcap, exits with them still open). */
	core_mode_clear();
	core_loop_free(core_loop);
	core_rules_clear();
	for (i = 0; i < ncargs; i++)
		free(cargs[i]);
	free(cargs);
	free(nargv);
	free(opts.listen_host);
	free(opts.spec);
	free(opts.filter);
	return rc;
}
