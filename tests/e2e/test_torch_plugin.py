"""LibTorch is a plugin (libxferval_torch.so) loaded the first time a model is used: the binary
does not link it, verbs without a model run when the plugin cannot be found, an error thrown
inside the plugin reaches the CLI as any other (exit 2, the file and the reason), and a missing
plugin is an error that says where it looked and what to build."""
import os
import shutil
import subprocess
import tempfile

from common import BINARY, DATA, ROOT, check, finish, run

MODEL = os.path.join(ROOT, "examples", "models", "fmnist_cnn_0-4.pt")
SOURCE = os.path.join(ROOT, "examples", "models", "fmnist_source_0-4.npz")
IMAGES = ["--data", SOURCE, "--member", "images", "--label", "labels", "-q"]


def run_without_plugin(*args):
    """Runs the binary with XFERVAL_TORCH_PLUGIN naming a file that does not exist."""
    environment = dict(os.environ, XFERVAL_TORCH_PLUGIN="/nonexistent/libxferval_torch.so")
    return subprocess.run([BINARY, *args], capture_output=True, text=True, env=environment)


if shutil.which("ldd"):
    needed = subprocess.run(["ldd", BINARY], capture_output=True, text=True).stdout
    torch_libraries = [line.strip() for line in needed.splitlines() if "torch" in line]
    check(not torch_libraries, f"the binary links LibTorch: {torch_libraries}")

with tempfile.TemporaryDirectory() as folder:
    version = run_without_plugin("--version")
    check(version.returncode == 0 and "xferval" in version.stdout,
          f"--version without the plugin: exit {version.returncode}, {version.stderr!r}")
    profile = run_without_plugin("profile", os.path.join(DATA, "iris.csv"), "-q", "-o", os.path.join(folder, "p.json"))
    check(profile.returncode == 0 and os.path.exists(os.path.join(folder, "p.json")),
          f"profile without the plugin: exit {profile.returncode}, {profile.stderr!r}")

    missing = run_without_plugin("card", "--model", MODEL, *IMAGES, "-o", os.path.join(folder, "c.json"))
    check(missing.returncode == 2 and "/nonexistent/libxferval_torch.so (no such file)" in missing.stderr
          and "xferval_torch" in missing.stderr and "XFERVAL_TORCH_PLUGIN" in missing.stderr,
          f"missing plugin: exit {missing.returncode}, {missing.stderr!r}")

    # InputError thrown in the plugin, caught by the binary's handler.
    truncated = os.path.join(folder, "truncated.pt")
    with open(MODEL, "rb") as source, open(truncated, "wb") as handle:
        handle.write(source.read()[:2000])
    broken = run("card", "--model", truncated, *IMAGES, "-o", os.path.join(folder, "t.json"), check=False)
    check(broken.returncode == 2 and broken.stderr.startswith("xferval: error: ") and "truncated.pt" in broken.stderr
          and "not a loadable TorchScript model" in broken.stderr,
          f"truncated model: exit {broken.returncode}, {broken.stderr!r}")

    # And a working model through the plugin found next to the binary.
    card = os.path.join(folder, "fmnist.card.json")
    working = run("card", "--model", MODEL, *IMAGES, "-o", card, check=False)
    check(working.returncode == 0 and os.path.exists(card), f"card with a model: exit {working.returncode}, "
          f"{working.stderr!r}")

finish("test_torch_plugin")
