# security-inject.py PID PACKET... -- the e2e tests' stand-in for a hostile
# holder of trawl's tun: takes the tun fd from process PID (pidfd_getfd, as
# root) and writes one crafted packet per argument into it, checksums
# right, after the tun's virtio-net header:
#   udp4 SRC SPORT DST DPORT TEXT    udp6 SRC SPORT DST DPORT TEXT
#   tfo4 SRC SPORT DST DPORT TEXT    (a TCP SYN carrying TEXT: Fast Open)
# Not a test itself (tests/run.sh runs *.sh only).
import ctypes, fcntl, os, socket, struct, sys

SYS_pidfd_getfd = 438
TUNGETVNETHDRSZ = 0x800454d7


def tun_fd(pid):
    for n in os.listdir("/proc/%d/fd" % pid):
        try:
            if os.readlink("/proc/%d/fd/%s" % (pid, n)) == "/dev/net/tun":
                break
        except OSError:
            pass
    else:
        sys.exit("inject: process %d holds no tun" % pid)
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = os.pidfd_open(pid)
    fd = libc.syscall(SYS_pidfd_getfd, pidfd, int(n), 0)
    if fd < 0:
        sys.exit("inject: pidfd_getfd: %s" % os.strerror(ctypes.get_errno()))
    return fd


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ip4(src, dst, proto, l4):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 0x4242, 0x4000,
                    64, proto, 0, socket.inet_aton(src), socket.inet_aton(dst))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + l4


def l4sum(family, src, dst, proto, l4):
    a = socket.inet_pton(family, src) + socket.inet_pton(family, dst)
    if family == socket.AF_INET:
        return csum(a + struct.pack("!BBH", 0, proto, len(l4)) + l4)
    return csum(a + struct.pack("!IxxxB", len(l4), proto) + l4)


def udp(family, src, sport, dst, dport, data):
    u = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    c = l4sum(family, src, dst, socket.IPPROTO_UDP, u) or 0xffff
    return u[:6] + struct.pack("!H", c) + u[8:]


def tcp_syn(family, src, sport, dst, dport, data):
    t = struct.pack("!HHIIBBHHH", sport, dport, 0x1000, 0, 5 << 4, 0x02,
                    65535, 0, 0) + data
    c = l4sum(family, src, dst, socket.IPPROTO_TCP, t)
    return t[:16] + struct.pack("!H", c) + t[18:]


def packet(kind, src, sport, dst, dport, text):
    sport, dport, data = int(sport), int(dport), text.encode()
    if kind == "udp4":
        return ip4(src, dst, socket.IPPROTO_UDP,
                   udp(socket.AF_INET, src, sport, dst, dport, data))
    if kind == "tfo4":
        return ip4(src, dst, socket.IPPROTO_TCP,
                   tcp_syn(socket.AF_INET, src, sport, dst, dport, data))
    if kind == "udp6":
        u = udp(socket.AF_INET6, src, sport, dst, dport, data)
        return struct.pack("!IHBB16s16s", 6 << 28, len(u), socket.IPPROTO_UDP,
                           64, socket.inet_pton(socket.AF_INET6, src),
                           socket.inet_pton(socket.AF_INET6, dst)) + u
    sys.exit("inject: unknown packet kind %s" % kind)


fd = tun_fd(int(sys.argv[1]))
buf = bytearray(4)
fcntl.ioctl(fd, TUNGETVNETHDRSZ, buf)
vnet = b"\0" * struct.unpack("i", buf)[0]
for spec in sys.argv[2:]:
    p = packet(*spec.split())
    # The guard drops silently; a write the kernel refuses is an error.
    if os.write(fd, vnet + p) != len(vnet) + len(p):
        sys.exit("inject: short write")
