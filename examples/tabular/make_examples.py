"""Writes the tabular example from data/breast_cancer.csv (run with Debian's python3; the CSVs it
writes are committed, so users need no Python):
  source.csv        a random half: the data the model was built on
  target.csv        the other half: same distribution, `check` passes
  target_shifted.csv  rows of the other half drawn with probability rising with mean_radius
                    (a selection-bias covariate shift, as when a clinic sees larger tumours)"""
import os

import numpy as np
import pandas as pd

here = os.path.dirname(os.path.abspath(__file__))
frame = pd.read_csv(os.path.join(here, "..", "..", "data", "breast_cancer.csv"))
order = np.random.RandomState(0).permutation(len(frame))
half = len(frame) // 2
source, rest = frame.iloc[order[:half]], frame.iloc[order[half:]]
source.to_csv(os.path.join(here, "source.csv"), index=False)
rest.to_csv(os.path.join(here, "target.csv"), index=False)
radius = rest["mean_radius"].to_numpy()
weights = np.exp(1.5 * (radius - radius.mean()) / radius.std())
chosen = np.random.RandomState(1).choice(len(rest), size=200, replace=False, p=weights / weights.sum())
rest.iloc[np.sort(chosen)].to_csv(os.path.join(here, "target_shifted.csv"), index=False)
