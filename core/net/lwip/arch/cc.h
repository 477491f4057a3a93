/*
 * cc.h -- lwIP's compiler and platform port for trawl (Linux, gcc/clang).
 *
 * An lwIP assertion must not take trawl down: it is reported through
 * core_netstack_assert (counted, the last message kept) and lwIP carries
 * on; where lwIP guards with LWIP_ERROR, its handler then drops the packet
 * or fails the call.
 */
#ifndef TRAWL_LWIP_CC_H
#define TRAWL_LWIP_CC_H

#include <endian.h>
#include <stdlib.h>
#include <sys/time.h>

#ifndef BYTE_ORDER
#define BYTE_ORDER	__BYTE_ORDER
#endif

/* struct timeval comes from sys/time.h. */
#define LWIP_TIMEVAL_PRIVATE	0

#if __BYTE_ORDER == __LITTLE_ENDIAN
#define lwip_htons(x)	((u16_t)__builtin_bswap16((u16_t)(x)))
#define lwip_htonl(x)	((u32_t)__builtin_bswap32((u32_t)(x)))
#else
#define lwip_htons(x)	((u16_t)(x))
#define lwip_htonl(x)	((u32_t)(x))
#endif

/* Used for lwIP's first local port and the like; the TCP ISN has its
 * own keyed hook (lwipopts.h). */
#define LWIP_RAND()	((u32_t)arc4random())

void	core_netstack_assert(const char *msg, const char *file, int line);
#define LWIP_PLATFORM_ASSERT(x)	core_netstack_assert((x), __FILE__, __LINE__)
/* lwIP's debug output is compiled out (LWIP_DEBUG is not defined). */
#define LWIP_PLATFORM_DIAG(x)	do { } while (0)

#endif
