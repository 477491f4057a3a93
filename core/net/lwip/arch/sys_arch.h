/*
 * sys_arch.h -- lwIP's OS layer for trawl: none. lwIP runs NO_SYS=1 on
 * trawl's event loop, so there are no threads, semaphores or mailboxes;
 * sys_now() (milliseconds, monotonic) is in core/net/netstack.c.
 */
#ifndef TRAWL_LWIP_SYS_ARCH_H
#define TRAWL_LWIP_SYS_ARCH_H

#endif
