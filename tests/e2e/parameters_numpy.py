"""Independent NumPy versions of what `xferval verify` computes on parameters: a safetensors writer
from the format's specification, the per-tensor change figures, and WeightWatcher's fast power-law
fit (reference parameters.md section 2), Conv2D kernels pooled as its defaults do."""
import json
import struct

import numpy as np


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, array in tensors.items():
        data = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": {"float32": "F32", "float64": "F64", "int64": "I64"}[array.dtype.name],
                        "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as handle:
        handle.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    return path


def change_figures(base, tuned):
    """mse, max |delta|, relative L2 change and cosine similarity, in double precision."""
    b, t = base.astype(np.float64).ravel(), tuned.astype(np.float64).ravel()
    d = t - b
    return {"mse": float(np.mean(d * d)), "max_abs_delta": float(np.max(np.abs(d))),
            "relative_l2": float(np.linalg.norm(d) / (np.linalg.norm(b) + 1e-12)),
            "cosine": float(b @ t / (np.linalg.norm(b) * np.linalg.norm(t)))}


def eigenvalues(weight):
    """Eigenvalues of W^T W; a 4-D conv weight pools its kernel-position slices with conv2d_norm's
    scale sqrt(1/2) (WeightWatcher's defaults pool=True, conv2d_norm=True)."""
    w = weight.astype(np.float64)
    if w.ndim == 2:
        slices, scale = [w], 1.0
    else:
        s = w.shape
        if s[0] + s[1] >= s[2] + s[3]:
            slices = [w[:, :, i, j] for i in range(s[2]) for j in range(s[3])]
        else:
            slices = [w[i, j, :, :] for i in range(s[0]) for j in range(s[1])]
        scale = np.sqrt(0.5)
    out = []
    for m in slices:
        m = m * scale
        if m.shape[0] < m.shape[1]:
            m = m.T
        out.extend(np.linalg.eigvalsh(m.T @ m))
    return np.sort(np.array(out))


def fast_fit(weight):
    """WeightWatcher's fast power-law fit: alpha at the x_min with the smallest KS distance."""
    lam = eigenvalues(weight)
    lam = lam[lam > 1e-5]
    if len(lam) < 10:
        return None
    best = (np.inf, None)
    for j in range(len(lam) - 1):
        n = len(lam) - j
        total = np.sum(np.log(lam[j:] / lam[j]))
        if not total > 0:
            continue
        alpha = 1 + n / total
        distance = np.max(np.abs(1 - (lam[j:] / lam[j]) ** (1 - alpha) - np.arange(n) / n))
        if distance < best[0]:
            best = (distance, alpha)
    return best[1]
