#include <unistd.h>
#include "core/proxy/socks5.h"
void core_socks5_accept(void *mode, int fd, const struct sockaddr_storage *peer) { close(fd); }
int core_socks5_count(void) { return 0; }
