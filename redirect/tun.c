/*
 * tun.c -- create and bring up the tun device.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <linux/if_tun.h>

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "redirect/proto.h"
#include "redirect/tun.h"

int
rd_tun_open(char *ifname, int *ifindex, char **cause)
{
	struct ifreq	ifr;
	int		fd;

	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd == -1) {
		if (asprintf(cause, "/dev/net/tun: %s", strerror(errno)) == -1)
			*cause = NULL;
		return -1;
	}
	memset(&ifr, 0, sizeof ifr);
	/* A virtio-net header on each packet and checksum offload: TCP
	 * crosses the tun without a checksum pass (core/net/tunframe.h). */
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR;
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", RD_TUN_NAME);
	if (ioctl(fd, TUNSETIFF, &ifr) == -1) {
		if (asprintf(cause, "creating the tun: %s",
		    strerror(errno)) == -1)
			*cause = NULL;
		close(fd);
		return -1;
	}
	if (ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM) == -1) {
		if (asprintf(cause, "tun checksum offload: %s",
		    strerror(errno)) == -1)
			*cause = NULL;
		close(fd);
		return -1;
	}
	memcpy(ifname, ifr.ifr_name, IF_NAMESIZE);
	ifname[IF_NAMESIZE - 1] = '\0';
	*ifindex = (int)if_nametoindex(ifname);
	if (*ifindex == 0) {
		if (asprintf(cause, "tun %s: %s", ifname,
		    strerror(errno)) == -1)
			*cause = NULL;
		close(fd);
		return -1;
	}
	return fd;
}

int
rd_tun_up(const char *ifname, int mtu, char **cause)
{
	struct ifreq	 ifr;
	const char	*what;
	int		 s, rc = -1;

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s == -1) {
		what = "socket";
		goto out;
	}
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
	ifr.ifr_mtu = mtu;
	what = "setting the MTU";
	if (ioctl(s, SIOCSIFMTU, &ifr) == -1)
		goto out;
	what = "reading the flags";
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == -1)
		goto out;
	/* No multicast: other programs' mDNS/SSDP must not become flows. */
	ifr.ifr_flags &= ~IFF_MULTICAST;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	what = "bringing the link up";
	if (ioctl(s, SIOCSIFFLAGS, &ifr) == -1)
		goto out;
	rc = 0;
out:
	if (rc != 0 && asprintf(cause, "tun %s: %s: %s", ifname, what,
	    strerror(errno)) == -1)
		*cause = NULL;
	if (s != -1)
		close(s);
	return rc;
}
