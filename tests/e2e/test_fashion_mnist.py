"""Fashion-MNIST (Debian's dataset-fashion-mnist, gzipped IDX) profiled by xferval against NumPy:
sample count, pixel mean, std (ddof 1), min, max to 1e-12 relative; the exact pixel histogram;
label counts."""
import gzip
import os

import numpy as np

from common import FASHION, check, close, finish, profile


def read_idx(path):
    with gzip.open(path, "rb") as handle:
        data = handle.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


for split in ("train", "t10k"):
    images_path = os.path.join(FASHION, f"{split}-images-idx3-ubyte.gz")
    labels_path = os.path.join(FASHION, f"{split}-labels-idx1-ubyte.gz")
    images = read_idx(images_path).astype(np.float64)
    labels = read_idx(labels_path)
    result = profile(images_path, "--labels", labels_path)
    tensor = result["tensor"]
    what = f"fashion-mnist {split}"
    check(result["rows"] == images.shape[0], f"{what}: rows")
    check(tensor["kind"] == "image" and tensor["sample_shape"] == [28, 28], f"{what}: shape {tensor['sample_shape']}")
    check(tensor["values"] == images.size, f"{what}: value count")
    close(tensor["mean"], images.mean(), 1e-12, f"{what}: mean")
    close(tensor["std"], images.std(ddof=1), 1e-12, f"{what}: std")
    close(tensor["min"], images.min(), 1e-12, f"{what}: min")
    close(tensor["max"], images.max(), 1e-12, f"{what}: max")
    check(len(tensor["channels"]) == 1, f"{what}: one channel")
    close(tensor["channels"][0]["mean"], images.mean(), 1e-12, f"{what}: channel mean")
    expected_histogram = np.bincount(images.astype(np.int64).ravel(), minlength=256)
    check(tensor["histogram"]["counts"] == expected_histogram.tolist(), f"{what}: pixel histogram")
    check(tensor["zeros"] == int((images == 0).sum()), f"{what}: zeros")
    got = {item["value"]: item["count"] for item in result["label"]["counts"]}
    expected = {str(k): int(v) for k, v in zip(*np.unique(labels, return_counts=True))}
    check(got == expected, f"{what}: label counts {got} vs {expected}")
    check(result["source"]["content_hash"].startswith("xxh3:"), f"{what}: content hash")

finish("fashion_mnist")
