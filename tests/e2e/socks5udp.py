#!/usr/bin/env python3
"""socks5udp.py -- UDP through a SOCKS5 proxy, for trawl's tests.

  socks5udp.py server PORT
      a UDP server on 127.0.0.1:PORT: DNS queries get an A record of
      192.0.2.7 for the name asked; anything else is echoed back.
  socks5udp.py client PROXY_PORT DEST_PORT NAME [USER PASS]
      a UDP ASSOCIATE through the SOCKS5 proxy on 127.0.0.1:PROXY_PORT,
      then a DNS query for NAME and a datagram "hello" to
      127.0.0.1:DEST_PORT; prints the answer's address and the echo.
"""
import socket
import struct
import sys


def serve(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    while True:
        data, peer = s.recvfrom(65535)
        if len(data) > 12 and data[2] & 0x80 == 0 and data[5] == 1:
            # The question ends at its name's zero byte, then 4 bytes.
            end = data.index(b"\0", 12) + 5
            head = data[:2] + b"\x81\x80" + b"\0\x01\0\x01\0\0\0\0"
            answer = b"\xc0\x0c\0\x01\0\x01\0\0\0\x3c\0\x04" + \
                bytes([192, 0, 2, 7])
            s.sendto(head + data[12:end] + answer, peer)
        else:
            s.sendto(data, peer)


def query(name):
    q = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0\0\x01\0\x01"


def client(pport, dport, name, user=None, pw=None):
    t = socket.create_connection(("127.0.0.1", pport), 5)
    t.settimeout(5)
    if user is None:
        t.sendall(b"\x05\x01\x00")
        assert t.recv(2) == b"\x05\x00"
    else:
        t.sendall(b"\x05\x01\x02")
        assert t.recv(2) == b"\x05\x02"
        t.sendall(b"\x01" + bytes([len(user)]) + user.encode() +
                  bytes([len(pw)]) + pw.encode())
        assert t.recv(2) == b"\x01\x00"
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    u.settimeout(5)
    t.sendall(b"\x05\x03\x00\x01\x7f\x00\x00\x01" +
              struct.pack(">H", u.getsockname()[1]))
    rep = t.recv(10)
    assert rep[:2] == b"\x05\x00", rep
    relay = (socket.inet_ntoa(rep[4:8]), struct.unpack(">H", rep[8:10])[0])
    head = b"\0\0\0\x01\x7f\x00\x00\x01" + struct.pack(">H", dport)
    u.sendto(head + query(name), relay)
    data, _ = u.recvfrom(65535)
    assert data[:10] == head, data[:10]
    print("answer", ".".join(str(b) for b in data[-4:]))
    u.sendto(head + b"hello", relay)
    data, _ = u.recvfrom(65535)
    print("echo", data[10:].decode())
    t.close()


if __name__ == "__main__":
    if sys.argv[1] == "server":
        serve(int(sys.argv[2]))
    else:
        client(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4],
               *sys.argv[5:7])
