"""Trains and exports the example models as TorchScript (run with Debian's python3-torch; the
.pt files and data it writes are committed, so users and tests need no Python). Seeds are fixed.

  fmnist_cnn_0-4.pt        small CNN on Fashion-MNIST classes 0-4 (T-shirt, Trouser, Pullover,
                           Dress, Coat): the source model of the examples
  fmnist_cnn_0-4_short.pt  the same CNN after a tenth of an epoch (a weaker candidate)
  fmnist_cnn_01.pt         the same CNN trained on classes 0 and 1 only (a narrower candidate)
  fmnist_cnn_random.pt     the same CNN untrained (a control candidate)
  breast_cancer_mlp.pt     MLP on examples/tabular/source.csv (30 standardised features, 2 classes)
  fmnist_source_0-4.npz    5000 training images of classes 0-4 with labels (the card's source data)
  fmnist_target_5-9.npz    500 training images of classes 5-9 (100 per class) with labels
  fmnist_test_5-9.npz      2000 test images of classes 5-9 with labels (held out for evaluation)
  fmnist_test_0-4.npz      2000 test images of classes 0-4 with labels (in-distribution check)

Every model has `forward(x) -> logits` and `forward_features(x) -> embedding` (the input of the
last Linear layer, the head). Images enter as float NCHW (pixel - mean) / std with the pixel in
its stored units (0..255) and the mean and std of the card's source sample; tabular rows as float
z-scores in the card's feature order.
"""
import gzip
import os
import struct

import numpy as np
import pandas as pd
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
FASHION = "/usr/share/datasets/fashion-mnist"
torch.set_num_threads(2)


def read_idx(name):
    with gzip.open(os.path.join(FASHION, name), "rb") as handle:
        data = handle.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


class SmallCnn(nn.Module):
    def __init__(self, classes):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(32 * 7 * 7, 64), nn.ReLU())
        self.classifier = nn.Linear(64, classes)

    @torch.jit.export
    def forward_features(self, x):
        return self.features(x)

    def forward(self, x):
        return self.classifier(self.features(x))


class Mlp(nn.Module):
    def __init__(self, inputs, classes):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(inputs, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU())
        self.classifier = nn.Linear(16, classes)

    @torch.jit.export
    def forward_features(self, x):
        return self.features(x)

    def forward(self, x):
        return self.classifier(self.features(x))


def train(model, x, y, epochs, seed, batch=64, lr=1e-3, max_steps=None):
    torch.manual_seed(seed)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    steps = 0
    for _ in range(epochs):
        order = torch.randperm(len(x))
        for start in range(0, len(x), batch):
            index = order[start:start + batch]
            optimiser.zero_grad()
            loss = nn.functional.cross_entropy(model(x[index]), y[index])
            loss.backward()
            optimiser.step()
            steps += 1
            if max_steps and steps >= max_steps:
                return model
    return model


def accuracy(model, x, y):
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


def save(model, name):
    model.eval()
    torch.jit.script(model).save(os.path.join(HERE, name))


def subset(images, labels, classes, per_class, seed):
    rng = np.random.RandomState(seed)
    chosen = np.concatenate([rng.choice(np.flatnonzero(labels == c), per_class, replace=False) for c in classes])
    chosen.sort()
    return images[chosen], labels[chosen]


def main():
    train_images, train_labels = read_idx("train-images-idx3-ubyte.gz"), read_idx("train-labels-idx1-ubyte.gz")
    test_images, test_labels = read_idx("t10k-images-idx3-ubyte.gz"), read_idx("t10k-labels-idx1-ubyte.gz")
    source = train_labels < 5
    # Normalised with the mean and std of the card's source sample (pixel units), as the card says.
    card_images, _ = subset(train_images, train_labels, range(5), 1000, 1)
    mean, std = card_images.astype(np.float64).mean(), card_images.astype(np.float64).std()
    x_all = (torch.tensor(train_images[source], dtype=torch.float32).unsqueeze(1) - mean) / std
    y_all = torch.tensor(train_labels[source], dtype=torch.long)

    for name, classes_kept, epochs, steps in [("fmnist_cnn_0-4.pt", 5, 2, None), ("fmnist_cnn_0-4_short.pt", 5, 1, 50),
                                              ("fmnist_cnn_01.pt", 2, 2, None), ("fmnist_cnn_random.pt", 5, 0, None)]:
        torch.manual_seed(0)
        model = SmallCnn(5)
        keep = y_all < classes_kept
        train(model, x_all[keep], y_all[keep], epochs, seed=0, max_steps=steps)
        test = test_labels < 5
        x_test = (torch.tensor(test_images[test], dtype=torch.float32).unsqueeze(1) - mean) / std
        print(f"{name}: test accuracy on classes 0-4 {accuracy(model, x_test, torch.tensor(test_labels[test], dtype=torch.long)):.4f}")
        save(model, name)

    for name, images, labels, classes, count, seed in [
            ("fmnist_source_0-4.npz", train_images, train_labels, range(5), 1000, 1),
            ("fmnist_target_5-9.npz", train_images, train_labels, range(5, 10), 100, 2),
            ("fmnist_test_5-9.npz", test_images, test_labels, range(5, 10), 400, 3),
            ("fmnist_test_0-4.npz", test_images, test_labels, range(5), 400, 4)]:
        x, y = subset(images, labels, classes, count, seed)
        np.savez_compressed(os.path.join(HERE, name), images=x, labels=y.astype(np.int64))

    frame = pd.read_csv(os.path.join(HERE, "..", "tabular", "source.csv"))
    features = frame.drop(columns=["diagnosis"])
    values = features.to_numpy(np.float64)
    z = (values - values.mean(axis=0)) / values.std(axis=0)
    labels = sorted(frame["diagnosis"].unique())
    y = torch.tensor([labels.index(v) for v in frame["diagnosis"]], dtype=torch.long)
    torch.manual_seed(0)
    mlp = Mlp(z.shape[1], len(labels))
    train(mlp, torch.tensor(z, dtype=torch.float32), y, epochs=30, seed=0, batch=32)
    print(f"breast_cancer_mlp.pt: training accuracy {accuracy(mlp, torch.tensor(z, dtype=torch.float32), y):.4f}")
    save(mlp, "breast_cancer_mlp.pt")


if __name__ == "__main__":
    main()
