"""Zero-padded unequal-length series: every embedding, view and baseline ignores the padding.

The property: padding a batch with extra zeros changes nothing (embeddings of frozen encoders, augmented views,
raw and PCA baseline metrics), and the padding the components infer is exactly the mask the loader recorded.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import evaluate_embeddings
from sslbench.ssl_models import data
from sslbench.ssl_models.augment import build_augmentation
from sslbench.ssl_models.baselines import PCA, raw_features
from sslbench.ssl_models.encoders import build_encoder
from sslbench.ssl_models.evaluate import ProbeConfig, embed
from sslbench.ssl_models.padding import step_mask, valid_lengths

LENGTH, EXTRA, CHANNELS = 20, 13, 3


def padded_batch(seed: int, n: int = 12) -> np.ndarray:
    """Series of 2..LENGTH real steps (one of full length), zero-padded to LENGTH."""
    rng = np.random.default_rng(seed)
    lengths = np.concatenate([[LENGTH], rng.integers(2, LENGTH, n - 1)])
    batch = np.zeros((n, CHANNELS, LENGTH), dtype=np.float32)
    for row, length in enumerate(lengths):
        batch[row, :, :length] = rng.standard_normal((CHANNELS, length))
    return batch


def extend(batch: np.ndarray, extra: int = EXTRA) -> np.ndarray:
    return np.concatenate([batch, np.zeros((*batch.shape[:2], extra), dtype=batch.dtype)], axis=2)


def test_inferred_lengths_are_the_recorded_mask_of_a_padded_archive_set() -> None:
    raw = data.DATASETS.get("japanese_vowels")()
    lengths = valid_lengths(torch.from_numpy(raw.inputs))
    assert torch.equal(step_mask(lengths, raw.inputs.shape[2]), torch.from_numpy(raw.extras["mask"] > 0))


def _same_weights(short: torch.nn.Module, long: torch.nn.Module) -> None:
    """Copy ``short``'s weights into ``long`` (a learned position table: its first rows; the rest stays random)."""
    state = long.state_dict()
    for name, value in short.state_dict().items():
        if state[name].shape == value.shape:
            state[name] = value
        else:
            state[name][:, : value.shape[1]] = value
    long.load_state_dict(state)


@pytest.mark.parametrize(
    "name, options",
    [
        ("cnn", {"width": 4}),
        ("gru", {"hidden_dim": 8}),
        ("gru", {"hidden_dim": 8, "pooling": "mean"}),
        ("ssm", {"d_model": 8, "n_layers": 2}),
        ("selective_ssm", {"d_model": 8, "n_layers": 1}),
        ("transformer", {"d_model": 8, "n_heads": 2, "n_layers": 2}),
        ("transformer", {"d_model": 8, "n_heads": 2, "n_layers": 2, "pooling": "mean"}),
        ("causal_transformer", {"d_model": 8, "n_heads": 2, "n_layers": 2}),
        ("ts2vec", {"hidden_dim": 8, "depth": 3}),
        ("ts2vec", {"hidden_dim": 8, "depth": 6}),
    ],
)
@pytest.mark.parametrize("seed", [0, 1])
def test_extra_padding_changes_no_embedding(name: str, options: dict, seed: int) -> None:
    batch = padded_batch(seed)
    torch.manual_seed(seed)
    short = build_encoder(name, (CHANNELS, LENGTH), 6, options)
    long = build_encoder(name, (CHANNELS, LENGTH + EXTRA), 6, options)
    _same_weights(short, long)
    for encoder in (short, long):
        encoder.honour_padding()
    before, after = embed(short, batch), embed(long, extend(batch))
    assert np.allclose(before, after, atol=1e-5), np.abs(before - after).max()
    # and the padding really is skipped: without honour_padding the same weights read it as signal
    long.padded = False
    assert not np.allclose(before, embed(long, extend(batch)), atol=1e-3)


@pytest.mark.parametrize("seed", [0, 3])
def test_extra_padding_changes_no_augmented_view(seed: int) -> None:
    batch = torch.from_numpy(padded_batch(seed, n=16))
    short = build_augmentation("sequence", (CHANNELS, LENGTH), {"padded": True})
    long = build_augmentation("sequence", (CHANNELS, LENGTH + EXTRA), {"padded": True})
    views, longer_views = short(batch, seed=seed), long(torch.from_numpy(extend(batch.numpy())), seed=seed)
    assert torch.allclose(views, longer_views[:, :, :LENGTH], atol=1e-6)
    assert not longer_views[:, :, LENGTH:].any()
    padding = ~step_mask(valid_lengths(batch), LENGTH)
    assert not views.transpose(1, 2)[padding].any()  # jitter and scaling leave the padding zero


def test_extra_padding_changes_no_baseline_metric() -> None:
    rng = np.random.default_rng(5)
    train, test = padded_batch(1, n=60), padded_batch(2, n=30)
    y_train, y_test = rng.integers(0, 3, 60), rng.integers(0, 3, 30)
    train[:, 0, 0] += y_train  # some class signal
    test[:, 0, 0] += y_test
    config = ProbeConfig(linear_c_grid=(1.0,), kmeans_restarts=2)

    def metrics(x_train: np.ndarray, x_test: np.ndarray) -> dict[str, dict[str, float]]:
        pca = PCA(8).fit(x_train)
        return {
            "raw": evaluate_embeddings(raw_features(x_train), y_train, raw_features(x_test), y_test, 3, 0, config),
            "pca": evaluate_embeddings(pca.project(x_train), y_train, pca.project(x_test), y_test, 3, 0, config),
        }

    before, after = metrics(train, test), metrics(extend(train), extend(test))
    for baseline in ("raw", "pca"):
        for metric in ("linear_acc", "knn_acc", "kmeans_nmi", "effective_rank"):
            assert before[baseline][metric] == pytest.approx(after[baseline][metric], abs=1e-6), (baseline, metric)


@pytest.mark.parametrize(
    "objective, options",
    [
        ("autoencoder", {}),
        ("denoising_autoencoder", {}),
        ("sparse_autoencoder", {}),
        ("masked_autoencoder", {"loss_on": "all"}),
        ("masked_autoencoder", {}),
        ("next_step", {}),
    ],
)
def test_reconstruction_losses_ignore_the_padding(objective: str, options: dict) -> None:
    """A decoder that reconstructs every real step exactly has zero loss, whatever it outputs on the padding."""
    from sslbench.ssl_models.objectives import build_objective
    from sslbench.ssl_models.objectives.base import Batch

    batch = torch.from_numpy(padded_batch(4))
    torch.manual_seed(0)
    encoder = build_encoder("gru", (CHANNELS, LENGTH), 6, {"hidden_dim": 8})
    encoder.honour_padding()
    model = build_objective(objective, encoder, options)
    real = step_mask(valid_lengths(batch), LENGTH)[:, None, :]
    garbage = torch.full_like(batch, 3.0)

    def perfect(inputs: torch.Tensor) -> torch.Tensor:
        return torch.where(real, inputs, garbage)

    class Perfect(torch.nn.Module):
        def forward(self, codes: torch.Tensor) -> torch.Tensor:
            return perfect(batch).reshape(len(batch), -1)

    if objective == "next_step":
        model.predict_next = lambda inputs: torch.where(real[:, :, 1:], batch[:, :, 1:], garbage[:, :, 1:])  # type: ignore[method-assign]
    else:
        model.decoder = Perfect()
    loss = model(Batch(inputs=batch, views=None, labels=None))
    penalty = model.sparsity_weight * model.penalty(model.code(batch)) if objective == "sparse_autoencoder" else 0.0
    assert float((loss - penalty).detach()) == pytest.approx(0.0, abs=1e-6)
