/*
 * cacmd.h -- `trawl ca [install|uninstall]`: show trawl's CA and put it
 * into (or take it out of) the system trust store.
 */
#ifndef CORE_CACMD_H
#define CORE_CACMD_H

#include <stdio.h>

/* Where `trawl ca install` puts the certificate. */
#define CACMD_SYSTEM_PATH "/usr/local/share/ca-certificates/trawl-ca.crt"

/* action: NULL (show), "install" or "uninstall". Returns an exit status. */
int	core_cacmd(const char *action, const char *confdir, FILE *out);

#endif
