"""Writes target_inverted_5-9.npz: the example's 500 target images of classes 5-9, inverted
(255 - pixel), as a data set with a planted shift (run with Debian's python3; the file is
committed)."""
import os

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
target = np.load(os.path.join(here, "..", "models", "fmnist_target_5-9.npz"))
np.savez_compressed(os.path.join(here, "target_inverted_5-9.npz"), images=255 - target["images"],
                    labels=target["labels"])
