"""Every bad input of the foundation issue: exit status 2, a message naming the file and the
line, column, byte or member where it applies, and no output file left behind."""
import gzip
import io
import os
import struct
import tempfile

import numpy as np
from PIL import Image

from common import check, finish, run


def expect_error(folder, args, needles, what):
    out = os.path.join(folder, "out", "result.profile.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    result = run("profile", *args, "-q", "-o", out, check=False)
    check(result.returncode == 2, f"{what}: exit {result.returncode}, stderr {result.stderr!r}")
    for needle in needles:
        check(needle in result.stderr, f"{what}: {needle!r} not in {result.stderr!r}")
    check(os.listdir(os.path.dirname(out)) == [], f"{what}: output left behind {os.listdir(os.path.dirname(out))}")
    check(result.stdout == "", f"{what}: stdout not empty")


def write(folder, name, data):
    path = os.path.join(folder, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)
    return path


def npy_bytes(array):
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def png_bytes(size, mode="L"):
    buffer = io.BytesIO()
    Image.new(mode, size, color=0).save(buffer, format="PNG")
    return buffer.getvalue()


def idx_bytes(magic_type, dims, payload):
    header = bytes([0, 0, magic_type, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims)
    return header + payload


with tempfile.TemporaryDirectory() as folder:
    csv = lambda name, text: write(folder, name, text.encode() if isinstance(text, str) else text)
    expect_error(folder, [csv("ragged.csv", "a,b,c\n1,2,3\n4,5\n")], ["ragged.csv", "line 3", "2 fields"], "ragged row")
    expect_error(folder, [csv("quote.csv", 'a,b\n1,"open\n2,3\n')], ["quote.csv", "line 2", "quote"], "unterminated quote")
    expect_error(folder, [csv("utf8.csv", b"a,b\nx\xff\xfey,2\n")], ["utf8.csv", "line 2", "column 1", "UTF-8"],
                 "invalid UTF-8")
    expect_error(folder, [csv("empty.csv", "")], ["empty.csv", "empty"], "empty file")
    expect_error(folder, [csv("header.csv", "a,b,c\n")], ["header.csv", "no data rows"], "header only")
    expect_error(folder, [csv("dup.csv", "a,b,a\n1,2,3\n")], ["dup.csv", "'a'", "duplicate"], "duplicate names")
    expect_error(folder, [csv("label.csv", "a,b\n1,2\n"), "--label", "y"], ["label.csv", "'y'", "a, b"],
                 "--label missing column")

    full = npy_bytes(np.arange(100, dtype=np.float64).reshape(20, 5))
    expect_error(folder, [write(folder, "truncated.npy", full[:-13])], ["truncated.npy", "byte"], "NPY truncated data")
    lying = full.replace(b"(20, 5)", b"(90, 5)")
    expect_error(folder, [write(folder, "lying.npy", lying)], ["lying.npy", "byte"], "NPY header claims more data")
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    expect_error(folder, [write(folder, "object.npy", buffer.getvalue())], ["object.npy", "object"], "NPY object dtype")
    expect_error(folder, [write(folder, "notzip.npz", b"this is plain text, not a zip archive\n" * 4)],
                 ["notzip.npz", "zip"], "NPZ not a zip")

    images = np.zeros((3, 4, 4), dtype=np.uint8).tobytes()
    expect_error(folder, [write(folder, "magic-idx3-ubyte", b"\x01\x02" + idx_bytes(0x08, [3, 4, 4], images)[2:])],
                 ["magic-idx3-ubyte", "magic"], "IDX wrong magic")
    expect_error(folder, [write(folder, "short-idx3-ubyte", idx_bytes(0x08, [3, 4, 4], images[:-5]))],
                 ["short-idx3-ubyte", "byte"], "IDX too short")
    expect_error(folder, [write(folder, "long-idx3-ubyte.gz", gzip.compress(idx_bytes(0x08, [3, 4, 4], images + b"xx")))],
                 ["long-idx3-ubyte.gz"], "IDX too long (gzipped)")

    write(folder, "zero/cats/a.png", png_bytes((8, 8)))
    write(folder, "zero/dogs/b.png", b"")
    expect_error(folder, [os.path.join(folder, "zero")], ["b.png", "empty"], "zero-byte image")
    write(folder, "notimage/cats/a.png", png_bytes((8, 8)))
    write(folder, "notimage/cats/notes.txt", b"hello")
    expect_error(folder, [os.path.join(folder, "notimage")], ["notes.txt", "image"], "non-image file")
    write(folder, "sizes/cats/a.png", png_bytes((8, 8)))
    write(folder, "sizes/dogs/b.png", png_bytes((9, 8)))
    expect_error(folder, [os.path.join(folder, "sizes")], ["b.png", "a.png"], "image of another size")

    expect_error(folder, [os.path.join(folder, "no-such-file.csv")], ["no-such-file.csv", "no such file"],
                 "missing path")
    expect_error(folder, [os.path.join(folder, "ragged.csv", "inside")], ["inside", "cannot open"],
                 "unreadable path")

    bad_profile = write(folder, "bad.profile.json", b'{"format": "xferval.profile/9"}')
    result = run("merge", bad_profile, bad_profile, "-o", os.path.join(folder, "out", "m.json"), check=False)
    check(result.returncode == 2 and "bad.profile.json" in result.stderr and "profile/9" in result.stderr,
          f"merge of another format: {result.returncode} {result.stderr!r}")
    result = run("profile", csv("ok.csv", "a\n1\n"), "--shard", "5/4", check=False)
    check(result.returncode == 2 and "--shard" in result.stderr, f"bad shard: {result.stderr!r}")
    result = run("profile", csv("ok2.csv", "a\n1\n"), "--clean", "missing=sometimes", check=False)
    check(result.returncode == 2 and "missing=sometimes" in result.stderr, f"bad policy: {result.stderr!r}")
    result = run("nonsense-verb", check=False)
    check(result.returncode == 2, f"unknown verb exit {result.returncode}")

finish("bad_input")
