#pragma once
// Real parameters for the comparison tests: scikit-learn's MLPClassifier fitted briefly on the
// digits (pixels / 16) as "base", then trained further with partial_fit on the digits 0-4 as
// "tuned", written as float32 safetensors in PyTorch's layout (fc.weight is out x in) by NumPy
// straight from the format's specification.
#include <string>

namespace xferval::params::testing_fixture {

// Python that defines write_safetensors(path, {name: array}) and base/tuned dicts of arrays.
inline std::string mlp_python(const std::string& source_dir) {
  return R"PY(
import json, struct, warnings
import numpy as np
import pandas as pd
from sklearn.neural_network import MLPClassifier
warnings.filterwarnings("ignore")
frame = pd.read_csv(")PY" +
         source_dir + R"PY(/data/digits.csv")
y = frame["digit"].to_numpy()
X = frame.drop(columns=["digit"]).to_numpy() / 16.0
model = MLPClassifier(hidden_layer_sizes=(64, 32), max_iter=15, random_state=0).fit(X, y)
def params(m):
    out = {}
    for i, (w, b) in enumerate(zip(m.coefs_, m.intercepts_)):
        out[f"fc{i + 1}.weight"] = np.ascontiguousarray(w.T).astype(np.float32)
        out[f"fc{i + 1}.bias"] = b.astype(np.float32)
    return out
base = params(model)
subset = y < 5
for _ in range(5):
    model.partial_fit(X[subset], y[subset])
tuned = params(model)
def write_safetensors(path, tensors, meta=None):
    header, blobs, offset = {}, [], 0
    if meta: header["__metadata__"] = meta
    for name, array in tensors.items():
        data = array.astype(array.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": {"float32": "F32", "float64": "F64"}[array.dtype.name], "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data); offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as handle:
        handle.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
def fast_fit(W):
    W = W.astype(np.float64)
    if W.shape[0] < W.shape[1]: W = W.T
    lam = np.sort(np.linalg.eigvalsh(W.T @ W))
    lam = lam[lam > 1e-5]
    if len(lam) < 10: return None
    best = (np.inf, None)
    for j in range(len(lam) - 1):
        n = len(lam) - j
        s = np.sum(np.log(lam[j:] / lam[j]))
        if not s > 0: continue
        alpha = 1 + n / s
        D = np.max(np.abs(1 - (lam[j:] / lam[j]) ** (1 - alpha) - np.arange(n) / n))
        if D < best[0]: best = (D, alpha, lam[j])
    return {"alpha": best[1], "D": best[0], "xmin": best[2]}
)PY";
}

}  // namespace xferval::params::testing_fixture
