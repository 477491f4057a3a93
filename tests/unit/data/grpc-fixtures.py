#!/usr/bin/python3
# grpc-fixtures.py -- writes the protobuf and gRPC fixtures that
# tests/unit/core_flows_grpc.c decodes, encoded by Google's protobuf
# library (Debian's python3-protobuf) from a schema built at run time, so
# neither protoc nor a .proto file is needed.
#
# Regenerate (only when the fixtures must change; the expected texts
# grpc-*.txt beside them are written and checked by hand, not by this):
#     apt-get install python3-protobuf
#     /usr/bin/python3 tests/unit/data/grpc-fixtures.py tests/unit/data
# The output is deterministic (gzip's mtime is fixed at 0).

import gzip
import os
import struct
import sys
import zlib

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

F = descriptor_pb2.FieldDescriptorProto


def schema():
    fd = descriptor_pb2.FileDescriptorProto(name="trawl_test.proto",
                                            package="trawl", syntax="proto3")

    def msg(name, fields):
        m = fd.message_type.add(name=name)
        for num, fname, ftype, label, tname in fields:
            f = m.field.add(name=fname, number=num, type=ftype, label=label)
            if tname:
                f.type_name = ".trawl." + tname
        return m

    one, rep = F.LABEL_OPTIONAL, F.LABEL_REPEATED
    msg("Inner", [(1, "a", F.TYPE_INT32, one, None),
                  (2, "s", F.TYPE_STRING, one, None)])
    msg("All", [
        (1, "u", F.TYPE_UINT64, one, None),
        (2, "neg", F.TYPE_INT32, one, None),
        (3, "zz", F.TYPE_SINT32, one, None),
        (4, "zz64", F.TYPE_SINT64, one, None),
        (5, "f32", F.TYPE_FIXED32, one, None),
        (6, "fl", F.TYPE_FLOAT, one, None),
        (7, "db", F.TYPE_DOUBLE, one, None),
        (8, "f64", F.TYPE_FIXED64, one, None),
        (9, "sf32", F.TYPE_SFIXED32, one, None),
        (10, "str", F.TYPE_STRING, one, None),
        (11, "raw", F.TYPE_BYTES, one, None),
        (12, "inner", F.TYPE_MESSAGE, one, "Inner"),
        (13, "items", F.TYPE_MESSAGE, rep, "Inner"),
        (14, "packed", F.TYPE_INT32, rep, None),	# proto3: packed
        (15, "tags", F.TYPE_STRING, rep, None),
        (16, "flag", F.TYPE_BOOL, one, None),
        (17, "big", F.TYPE_INT64, one, None),
        (18, "sf64", F.TYPE_SFIXED64, one, None),
        (536870911, "last", F.TYPE_UINT32, one, None),
    ])
    msg("Node", [(1, "child", F.TYPE_MESSAGE, one, "Node"),
                 (2, "v", F.TYPE_INT32, one, None)])
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fd)
    factory = message_factory.MessageFactory(pool)
    return tuple(factory.GetPrototype(pool.FindMessageTypeByName("trawl." + n))
                 for n in ("Inner", "All", "Node"))


def frame(payload, compressed=False):
    return struct.pack(">BI", 1 if compressed else 0, len(payload)) + payload


def main(out):
    Inner, All, Node = schema()

    a = All(u=150, neg=-5, zz=-3, zz64=1000, f32=7, fl=1.5, db=-0.1,
            f64=1, sf32=-2, str="h\u00e9llo \"q\"", raw=b"\x00\xff\x10\x80",
            flag=True, big=-1, sf64=-7, last=42)
    a.inner.a = 1
    a.inner.s = "hi"
    a.items.add(a=2, s="x")
    a.items.add(a=3, s="two\nlines")
    a.packed.extend([3, 270, 86942])
    a.tags.extend(["a", "b c"])
    pb_all = a.SerializeToString()

    # A unary call's request and response as one stream would carry them
    # in two messages; the second is empty (all fields at default).
    two = frame(Inner(a=150, s="hello").SerializeToString()) + \
        frame(Inner().SerializeToString())

    # One compressed message (grpc-encoding: gzip) and one left plain,
    # as gRPC lets a sender choose per message.
    big = Inner(a=7, s="compress me " * 8).SerializeToString()
    gz = frame(gzip.compress(big, mtime=0), True) + \
        frame(Inner(a=8).SerializeToString())
    # The same with grpc-encoding: deflate (a zlib stream).
    defl = frame(zlib.compress(big), True)

    n = Node(v=0)
    for depth in range(1, 41):
        n = Node(child=n, v=depth)
    deep = n.SerializeToString()

    files = {
        "grpc-all.pb": pb_all,
        "grpc-two.bin": two,
        "grpc-gzip.bin": gz,
        "grpc-deflate.bin": defl,
        "grpc-deep.pb": deep,
    }
    for name, data in files.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
        print("%-18s %5d bytes  %s" % (name, len(data), data[:24].hex()))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
