/*
 * run.h -- `trawl run [OPTIONS] -- CMD [ARGS]`: CMD and everything it
 * starts, in a cgroup of their own that local mode captures whole.
 *
 * Life, from main():
 * - tui_run_prepare makes the cgroup (a fresh child of the cgroup v2
 *   mount, or of --cgroup) before local mode starts on it;
 * - tui_run_start, once the loop and trawl's CA exist, writes the CA
 *   bundle and starts CMD inside the cgroup, as the invoking user when
 *   trawl is root through sudo (SUDO_UID/SUDO_GID);
 * - tui_run_finish, after local mode stopped, kills what is left in the
 *   cgroup (saying so), removes it and the bundle, and returns CMD's exit
 *   status. Safe at any point, also when nothing was prepared.
 *
 * With --dump, CMD keeps trawl's terminal and trawl quits when CMD ends.
 * With the screen, CMD's standard input is /dev/null and its output goes
 * to a log file (named on stderr and in a notice); trawl stays until the
 * user quits.
 */
#ifndef TUI_RUN_H
#define TUI_RUN_H

struct loop;

/*
 * Makes the cgroup under base (NULL: the cgroup v2 mount). Returns its
 * path (owned by run.c, valid until tui_run_finish), or NULL with *cause
 * (caller frees).
 */
const char	*tui_run_prepare(const char *base, char **cause);
/*
 * Starts argv[0] with argv (NULL-terminated) in the cgroup; ca_cert is
 * trawl's CA certificate (PEM) for the bundle, quiet says nothing on
 * stderr. Returns 0, or -1 with *cause.
 */
int		 tui_run_start(struct loop *, char **argv, const char *ca_cert,
		    int quiet, char **cause);
/*
 * Gives a file trawl wrote for the run (--pcap, -w) to CMD's user when
 * trawl is root through sudo, so that user can read it. NULL is ignored.
 */
void		 tui_run_chown(const char *path);
/* 1 once CMD has exited. */
int		 tui_run_exited(void);
/*
 * Ends the run (see above). Returns CMD's exit status (128 + signal when
 * a signal ended it), or -1 when CMD never ran.
 */
int		 tui_run_finish(void);

#endif
