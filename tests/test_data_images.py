"""torchvision image loaders on tiny files written in torchvision's own on-disk formats, and the offline error."""

from __future__ import annotations

import pickle
import socket
import struct
from pathlib import Path

import numpy as np
import pytest
from sslbench.ssl_models import data
from sslbench.ssl_models.data import DatasetUnavailableError


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every connection attempt fail at once, so a download is a clean, local failure."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network disabled in tests")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.fixture
def data_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SSLBENCH_DATA", str(tmp_path))
    return tmp_path


def write_idx(folder: Path, prefix: str, images: np.ndarray, labels: np.ndarray) -> None:
    """MNIST's idx format: big-endian magic (0x0803 images, 0x0801 labels), sizes, then raw ubytes."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{prefix}-images-idx3-ubyte").write_bytes(struct.pack(">iiii", 0x0803, *images.shape) + images.tobytes())
    (folder / f"{prefix}-labels-idx1-ubyte").write_bytes(struct.pack(">ii", 0x0801, len(labels)) + labels.tobytes())


def tiny_idx_set(folder: Path, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    images = rng.integers(0, 256, (7, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, 7).astype(np.uint8)
    write_idx(folder, "train", images[:5], labels[:5])
    write_idx(folder, "t10k", images[5:], labels[5:])
    return images, labels


@pytest.mark.parametrize("name, folder", [("mnist", "MNIST"), ("fashion_mnist", "FashionMNIST")])
def test_mnist_style_loader_reads_idx_files_with_the_official_split(
    data_root: Path, no_network: None, name: str, folder: str
) -> None:
    images, labels = tiny_idx_set(data_root / folder / "raw", np.random.default_rng(0))
    raw = data.DATASETS.get(name)()
    assert raw.modality == "image" and raw.inputs.shape == (7, 1, 28, 28) and raw.inputs.dtype == np.float32
    assert np.allclose(raw.inputs[:, 0] * 255, images) and raw.inputs.max() <= 1.0
    assert raw.labels.dtype == np.int64 and raw.labels.tolist() == labels.tolist()
    assert raw.official_test.tolist() == [False] * 5 + [True] * 2
    assert len(raw.class_names) == 10
    split = data.split_dataset(raw, seed=0)
    assert sorted(split.test_index.tolist()) == [5, 6]


def test_cifar10_loader_reads_python_pickle_batches(
    data_root: Path, no_network: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import torchvision.datasets.cifar as cifar

    folder = data_root / "cifar-10-batches-py"
    folder.mkdir()
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (12, 3 * 32 * 32), dtype=np.uint8)
    labels = rng.integers(0, 10, 12).tolist()
    for batch in range(5):
        with open(folder / f"data_batch_{batch + 1}", "wb") as handle:
            pickle.dump(
                {"data": pixels[2 * batch : 2 * batch + 2], "labels": labels[2 * batch : 2 * batch + 2]}, handle
            )
    with open(folder / "test_batch", "wb") as handle:
        pickle.dump({"data": pixels[10:], "labels": labels[10:]}, handle)
    names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    with open(folder / "batches.meta", "wb") as handle:
        pickle.dump({"label_names": names}, handle)
    # tiny files cannot match the official MD5 sums; everything else runs through torchvision's CIFAR10
    monkeypatch.setattr(cifar, "check_integrity", lambda path, md5=None: Path(path).is_file())

    raw = data.DATASETS.get("cifar10")()
    assert raw.inputs.shape == (12, 3, 32, 32) and raw.inputs.dtype == np.float32
    assert np.allclose(raw.inputs.reshape(12, -1) * 255, pixels)
    assert raw.labels.tolist() == labels and raw.official_test.sum() == 2 and raw.class_names == tuple(names)


@pytest.mark.parametrize("name, hint", [("mnist", "MNIST/raw"), ("cifar10", "cifar-10-batches-py")])
def test_missing_files_offline_give_one_clear_line(data_root: Path, no_network: None, name: str, hint: str) -> None:
    with pytest.raises(DatasetUnavailableError) as error:
        data.DATASETS.get(name)()
    message = str(error.value)
    assert "\n" not in message and hint in message and str(data_root) in message and "SSLBENCH_DATA" in message
    assert isinstance(error.value, ValueError)


def test_data_root_defaults_to_the_user_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSLBENCH_DATA", raising=False)
    assert data.data_root() == Path.home() / ".cache" / "sslbench"
