"""`xferval card` and `xferval check` on Fashion-MNIST (Debian's dataset-fashion-mnist): the test
set passes against the training set's card; inverted images fail on drift; another sample shape
and tabular data against an image card are named anomalies. The value-distribution distance is
checked against SciPy on the exact pixel histograms."""
import gzip
import json
import os
import struct
import tempfile

import numpy as np
from scipy import stats

from common import FASHION, check, close, finish, run

KLL_RANK_ERROR = 2.296 / 400**0.9723


def read_idx(path):
    with gzip.open(path, "rb") as handle:
        data = handle.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def write_idx(path, array):
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(">" + "I" * array.ndim, *array.shape)
    with gzip.open(path, "wb") as handle:
        handle.write(header + array.astype(np.uint8).tobytes())


def run_check(folder, card, data, labels=None):
    report = os.path.join(folder, "r.json")
    args = ["check", "--card", card, "--data", data, "-q", "-o", report]
    if labels:
        args += ["--labels", labels]
    result = run(*args, check=False)
    with open(report) as handle:
        return result, json.load(handle)


with tempfile.TemporaryDirectory() as folder:
    train = os.path.join(FASHION, "train-images-idx3-ubyte.gz")
    test, test_labels = os.path.join(FASHION, "t10k-images-idx3-ubyte.gz"), os.path.join(FASHION, "t10k-labels-idx1-ubyte.gz")
    card = os.path.join(folder, "fm.card.json")
    run("card", "--data", train, "--labels", os.path.join(FASHION, "train-labels-idx1-ubyte.gz"), "-q", "-o", card)
    with open(card) as handle:
        document = json.load(handle)
    check(document["input"]["kind"] == "tensor" and document["input"]["tensor"]["sample_shape"] == [28, 28],
          f"card input: {document['input']}")
    check(document["output"]["labels"] == [str(i) for i in range(10)], f"card labels: {document['output']}")

    result, report = run_check(folder, card, test, test_labels)
    check(result.returncode == 0 and report["verdict"] == "PASS", f"test set: exit {result.returncode}")
    train_pixels, test_pixels = read_idx(train), read_idx(test)
    [distance] = [c for c in report["checks"] if c["name"] == "drift.tensor"]
    values = np.arange(256)
    source_hist = np.bincount(train_pixels.ravel(), minlength=256)
    expected = stats.wasserstein_distance(values, values, source_hist, np.bincount(test_pixels.ravel(), minlength=256))
    expected /= train_pixels.std()
    close(distance["value"], expected, 1e-9, "test set W/std", 2 * KLL_RANK_ERROR * 255 / train_pixels.std())

    inverted = os.path.join(folder, "inverted-idx3-ubyte.gz")
    write_idx(inverted, 255 - test_pixels[:2000])
    result, report = run_check(folder, card, inverted)
    failed = {c["name"] for c in report["checks"] if c["outcome"] == "fail"}
    check(result.returncode == 1 and "drift.tensor" in failed,
          f"inverted: exit {result.returncode}, failed {failed}")
    check("drift.tensor" in result.stdout, "inverted: the summary does not name drift.tensor")

    cropped = os.path.join(folder, "cropped-idx3-ubyte.gz")
    write_idx(cropped, test_pixels[:500, :27, :27])
    result, report = run_check(folder, card, cropped)
    [shape] = [c for c in report["checks"] if c["name"] == "schema.tensor_shape"]
    check(result.returncode == 1 and shape["outcome"] == "fail" and "27x27" in shape["message"],
          f"cropped: exit {result.returncode}, {shape}")

    table = os.path.join(folder, "table.csv")
    with open(table, "w") as handle:
        handle.write("a,b\n1,2\n3,4\n")
    result, report = run_check(folder, card, table)
    [shape] = [c for c in report["checks"] if c["name"] == "schema.tensor_shape"]
    check(result.returncode == 1 and shape["outcome"] == "fail", f"tabular data on an image card: {shape}")
finish("test_check_images")
