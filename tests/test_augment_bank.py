"""View banks of sequences and graphs: reproducible, memory-mapped, and every kind of bad file is a BankError."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sslbench.ssl_models import data
from sslbench.ssl_models.augment import BankError, bank_is_valid, generate_bank, open_bank


@pytest.fixture(scope="module")
def sequences() -> np.ndarray:
    return data.DATASETS.get("gunpoint")().inputs[:40]


@pytest.fixture(scope="module")
def graphs() -> np.ndarray:
    return data.DATASETS.get("graph_families")().inputs[:30]


@pytest.fixture
def bank(tmp_path: Path, sequences: np.ndarray) -> Path:
    return generate_bank(sequences, "sequence", {}, n_views=2, seed=0, path=tmp_path / "bank.npy", chunk_size=16)


@pytest.mark.parametrize("modality", ["sequence", "graph"])
def test_banks_of_each_modality_are_reproducible_memory_maps(
    tmp_path: Path, sequences: np.ndarray, graphs: np.ndarray, modality: str
) -> None:
    inputs = sequences if modality == "sequence" else graphs
    first = generate_bank(inputs, modality, {}, n_views=3, seed=1, path=tmp_path / "a.npy", chunk_size=16)
    again = generate_bank(inputs, modality, {}, n_views=3, seed=1, path=tmp_path / "b.npy", chunk_size=16)
    bank = open_bank(first, expected_shape=inputs.shape)
    assert isinstance(bank, np.memmap) and bank.shape == (len(inputs), 3, *inputs.shape[1:])
    assert np.array_equal(bank, open_bank(again)) and not np.array_equal(bank[:, 0], bank[:, 1])
    assert bank_is_valid(first)
    assert not list(tmp_path.glob(".*.tmp"))


def test_truncated_bank_is_refused(bank: Path) -> None:
    content = bank.read_bytes()
    bank.write_bytes(content[: len(content) // 2])
    with pytest.raises(BankError, match="truncated"):
        open_bank(bank)
    assert not bank_is_valid(bank)


def test_bank_of_another_shape_than_its_sidecar_is_refused(bank: Path) -> None:
    sidecar = bank.with_suffix(".json")
    meta = json.loads(sidecar.read_text())
    sidecar.write_text(json.dumps({**meta, "shape": [40, 3, 1, 150]}))
    with pytest.raises(BankError, match=r"has shape \[40, 2, 1, 150\] float32, expected \[40, 3, 1, 150\]"):
        open_bank(bank)


def test_bank_that_does_not_fit_the_data_is_refused(bank: Path) -> None:
    with pytest.raises(BankError, match="does not fit data of shape"):
        open_bank(bank, expected_shape=(41, 1, 150))
    with pytest.raises(BankError, match="does not fit data of shape"):
        open_bank(bank, expected_shape=(40, 2, 75))


def test_foreign_file_is_refused(bank: Path) -> None:
    bank.write_bytes(b"PK\x03\x04 not a numpy array at all" * 10)
    with pytest.raises(BankError, match="not a .npy file"):
        open_bank(bank)
    np.save(bank, np.zeros((40, 2, 1, 150), dtype=np.float64))
    with pytest.raises(BankError, match="float64"):
        open_bank(bank)


def test_tampered_content_is_refused_by_its_hash(bank: Path) -> None:
    content = bytearray(bank.read_bytes())
    content[-5] ^= 0xFF
    bank.write_bytes(bytes(content))
    assert open_bank(bank, verify=False).shape == (40, 2, 1, 150)
    with pytest.raises(BankError, match="SHA-256"):
        open_bank(bank)


@pytest.mark.parametrize("sidecar_text", ["{not json", json.dumps({"shape": [1]}), json.dumps([1, 2])])
def test_broken_sidecar_is_refused(bank: Path, sidecar_text: str) -> None:
    bank.with_suffix(".json").write_text(sidecar_text)
    with pytest.raises(BankError, match="is not a bank description"):
        open_bank(bank)


def test_missing_sidecar_or_bank_is_refused(bank: Path) -> None:
    bank.with_suffix(".json").unlink()
    with pytest.raises(BankError, match="missing"):
        open_bank(bank)
    with pytest.raises(BankError, match="missing"):
        open_bank(bank.with_name("absent.npy"))


def test_shape_changing_augmentation_fails_and_leaves_no_temp_file(
    tmp_path: Path, sequences: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sslbench.ssl_models.augment.bank as bank_module

    truncating = lambda inputs, seed: inputs[:, :, :-1]  # noqa: E731
    monkeypatch.setattr(bank_module, "build_augmentation", lambda name, shape, options: truncating)
    with pytest.raises(ValueError, match="it declares views of shape"):
        generate_bank(sequences, "truncating", {}, n_views=1, seed=0, path=tmp_path / "bad.npy")
    assert not list(tmp_path.iterdir())
