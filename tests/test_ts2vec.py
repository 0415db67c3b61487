"""TS2Vec: the dilated encoder, the hierarchical contrastive loss and its crops, the SVM protocol, the iteration
budget, and archive sets read from small files in the archive's ``.ts`` format."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from sslbench.ssl_models import data
from sslbench.ssl_models.encoders import build_encoder
from sslbench.ssl_models.encoders.base import Encoder
from sslbench.ssl_models.evaluate.svm_protocol import fit_svm, searches_c, svm_protocol_scores
from sslbench.ssl_models.objectives import Batch, build_objective
from sslbench.ssl_models.objectives import ts2vec as ts2vec_module
from sslbench.ssl_models.objectives.ts2vec import (
    CropPair,
    draw_crops,
    hierarchical_contrastive_loss,
    instance_contrastive_loss,
    take_per_row,
    temporal_contrastive_loss,
)
from sslbench.ssl_models.train import LARGE_SET_VALUES, TrainConfig, pretrain, total_steps
from torch import nn

CPU = torch.device("cpu")


# --- encoder ----------------------------------------------------------------------------------------------------


def test_encoder_defaults_give_320_d_steps_and_a_max_pooled_embedding() -> None:
    torch.manual_seed(0)
    encoder = build_encoder("ts2vec", (3, 40), 320).eval()
    assert len(encoder.blocks) == 11 and encoder.input_projection.out_features == 64
    assert [block.conv1.conv.dilation[0] for block in encoder.blocks] == [2**i for i in range(11)]
    series = torch.randn(5, 3, 40)
    tokens = encoder.tokens(series)
    assert tokens.shape == (5, 40, 320)
    assert torch.equal(encoder(series), tokens.amax(dim=1))


def test_each_step_sees_exactly_the_dilated_receptive_field() -> None:
    # depth 2 → blocks with dilations 1, 2, 4, two kernel-3 convolutions each: a step reaches ±2·(1 + 2 + 4) = ±14.
    torch.manual_seed(0)
    encoder = build_encoder("ts2vec", (1, 60), 8, {"depth": 2, "hidden_dim": 6}).eval()
    series = torch.randn(1, 1, 60)
    changed = series.clone()
    changed[0, 0, 30] += 5.0
    moved = (encoder.tokens(changed) - encoder.tokens(series)).abs().sum(dim=2)[0] > 1e-7
    assert moved.nonzero().flatten().tolist() == list(range(16, 45))


@pytest.mark.parametrize("steps", [3, 8, 9, 20])
def test_a_dilation_beyond_the_length_is_computed_as_the_centre_tap(steps: int) -> None:
    from sslbench.ssl_models.encoders.ts2vec import SamePadConv

    torch.manual_seed(0)
    conv = SamePadConv(4, 5, 3, dilation=8)
    inputs = torch.randn(2, 4, steps)
    assert torch.allclose(conv(inputs), conv.conv(inputs), atol=1e-6)
    assert conv(inputs).shape == (2, 5, steps)


def test_timestamp_masking_acts_in_training_only_and_is_seeded() -> None:
    torch.manual_seed(0)
    encoder = build_encoder("ts2vec", (2, 30), 16, {"depth": 1, "dropout": 0.0})
    series = torch.randn(4, 2, 30)
    encoder.eval()
    assert torch.equal(encoder.tokens(series), encoder.tokens(series))
    encoder.train()
    assert not torch.equal(encoder.tokens(series), encoder.tokens(series))
    keep = encoder._timestamp_mask(400, 50, CPU)
    assert keep.shape == (400, 50, 1) and set(keep.unique().tolist()) == {0.0, 1.0}
    assert abs(keep.mean().item() - 0.5) < 0.01
    torch.manual_seed(0)
    twin = build_encoder("ts2vec", (2, 30), 16, {"depth": 1, "dropout": 0.0})
    encoder._mask_generator = None  # restart the encoder's own generator: its first mask again
    assert torch.equal(twin._timestamp_mask(400, 50, CPU), encoder._timestamp_mask(400, 50, CPU))


@pytest.mark.parametrize(
    "options, message",
    [
        ({"depth": -1}, "depth must be positive|non-negative"),
        ({"mask_probability": 1.0}, r"mask_probability and dropout must be in \[0, 1\)"),
    ],
)
def test_bad_encoder_options_are_refused(options: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_encoder("ts2vec", (1, 20), 8, options)


# --- loss -------------------------------------------------------------------------------------------------------


def test_instance_loss_matches_a_hand_computed_value() -> None:
    # B = 2, T = 1, D = 1: vectors (1, 0 | 1, 0). Anchor 1 against {0, 1, 0}, positive 1: −log(e / (2 + e));
    # anchor 0 against {0, 0, 0}: log 3. Both views give the same two terms.
    first, second = torch.tensor([[[1.0]], [[0.0]]]), torch.tensor([[[1.0]], [[0.0]]])
    expected = (math.log((2 + math.e) / math.e) + math.log(3)) / 2
    assert instance_contrastive_loss(first, second).item() == pytest.approx(expected, rel=1e-6)
    # length 1: one scale, the instance term alone, weighted by α = 0.5
    assert hierarchical_contrastive_loss(first, second).item() == pytest.approx(0.5 * expected, rel=1e-6)


def test_hierarchical_loss_matches_a_hand_computed_value_over_two_scales() -> None:
    # B = 1 (no instance contrast), T = 2 steps (1, 0) in both views: the temporal term is the value above; after
    # max-pooling to one step only the (zero) instance term is left. Two scales: (0.5 · temporal + 0) / 2.
    first = torch.tensor([[[1.0], [0.0]]])
    temporal = (math.log((2 + math.e) / math.e) + math.log(3)) / 2
    assert temporal_contrastive_loss(first, first.clone()).item() == pytest.approx(temporal, rel=1e-6)
    assert hierarchical_contrastive_loss(first, first.clone()).item() == pytest.approx(temporal / 4, rel=1e-6)


def test_instance_term_vanishes_when_series_have_distinct_codes_shared_by_both_views() -> None:
    batch, steps, scale = 4, 6, 12.0
    codes = scale * torch.eye(batch)[:, None, :].expand(batch, steps, batch)  # series i: e_i at every step
    assert instance_contrastive_loss(codes, codes.clone()).item() < 1e-6
    # constant in time, so every other step is as similar as the positive: temporal = log(2T − 1)
    assert temporal_contrastive_loss(codes, codes.clone()).item() == pytest.approx(math.log(2 * steps - 1), rel=1e-5)


def test_temporal_term_vanishes_when_steps_have_distinct_codes_shared_by_both_views() -> None:
    batch, steps, scale = 3, 5, 12.0
    codes = scale * torch.eye(steps)[None].expand(batch, steps, steps)  # step t: e_t in every series
    assert temporal_contrastive_loss(codes, codes.clone()).item() < 1e-6
    assert instance_contrastive_loss(codes, codes.clone()).item() == pytest.approx(math.log(2 * batch - 1), rel=1e-5)


def test_loss_is_zero_for_the_terms_without_negatives_and_refuses_mismatched_overlaps() -> None:
    single = torch.randn(1, 1, 4)
    assert instance_contrastive_loss(single, single).item() == 0.0
    assert temporal_contrastive_loss(single, single).item() == 0.0
    with pytest.raises(ValueError, match="overlaps differ in shape"):
        hierarchical_contrastive_loss(torch.randn(2, 5, 3), torch.randn(2, 4, 3))


def test_crops_share_an_overlap_and_stay_inside_every_series() -> None:
    generator = torch.Generator().manual_seed(0)
    for _ in range(200):
        steps = int(torch.randint(2, 40, (1,), generator=generator))
        crops = draw_crops(6, steps, generator)
        assert 0 <= crops.first_start <= crops.overlap_start < crops.overlap_end <= crops.second_end <= steps
        assert crops.overlap_length >= 2
        assert (crops.offsets + crops.first_start >= 0).all() and (crops.offsets + crops.second_end <= steps).all()
    series = torch.arange(20.0).reshape(2, 1, 10)
    assert take_per_row(series, torch.tensor([1, 4]), 3).tolist() == [[[1.0, 2.0, 3.0]], [[14.0, 15.0, 16.0]]]


class PointwiseEncoder(Encoder):
    """Tokens that depend on their own step only: tanh(W x_t)."""

    modalities = ("sequence",)
    provides_tokens = True

    def __init__(self, sample_shape: tuple[int, ...], embedding_dim: int) -> None:
        super().__init__(sample_shape, embedding_dim)
        self.linear = nn.Linear(sample_shape[0], embedding_dim)

    def tokens(self, inputs: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.linear(inputs.transpose(1, 2)))

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.tokens(inputs).amax(dim=1)


def _loss_with_fixed_crops(
    objective: nn.Module, series: torch.Tensor, crops: CropPair, monkeypatch: pytest.MonkeyPatch
) -> float:
    monkeypatch.setattr(ts2vec_module, "draw_crops", lambda *args, **kwargs: crops)
    return objective(Batch(inputs=series)).item()


def test_loss_ignores_what_lies_outside_the_overlap(monkeypatch: pytest.MonkeyPatch) -> None:
    torch.manual_seed(0)
    series = torch.randn(3, 2, 16)
    # crop 1 = [2, 9), crop 2 = [5, 13), overlap [5, 9), shifted by 0, 1, 3 steps per series
    crops = CropPair(2, 5, 9, 13, torch.tensor([0, 1, 3]))
    objective = build_objective("ts2vec", PointwiseEncoder((2, 16), 8))
    reference = _loss_with_fixed_crops(objective, series, crops, monkeypatch)
    outside_overlap = series.clone()
    for row, offset in enumerate(crops.offsets.tolist()):
        outside_overlap[row, :, : 5 + offset] = torch.randn(2, 5 + offset)
        outside_overlap[row, :, 9 + offset :] = torch.randn(2, 16 - 9 - offset)
    assert _loss_with_fixed_crops(objective, outside_overlap, crops, monkeypatch) == pytest.approx(reference, abs=1e-6)
    inside = series.clone()
    inside[:, :, 7:9] += 1.0
    assert _loss_with_fixed_crops(objective, inside, crops, monkeypatch) != pytest.approx(reference, abs=1e-4)


def test_dilated_encoder_reads_the_crops_context_but_nothing_outside_both_crops(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    torch.manual_seed(0)
    series = torch.randn(2, 1, 24)
    crops = CropPair(3, 8, 14, 18, torch.tensor([0, 2]))
    encoder = build_encoder(
        "ts2vec", (1, 24), 16, {"depth": 2, "hidden_dim": 8, "mask_probability": 0.0, "dropout": 0.0}
    )
    objective = build_objective("ts2vec", encoder)
    reference = _loss_with_fixed_crops(objective, series, crops, monkeypatch)
    outside = series.clone()
    outside[0, :, :3], outside[0, :, 18:] = 9.0, -9.0
    outside[1, :, :5], outside[1, :, 20:] = 9.0, -9.0
    assert _loss_with_fixed_crops(objective, outside, crops, monkeypatch) == pytest.approx(reference, abs=1e-6)
    context = series.clone()
    context[:, :, 16:18] += 3.0  # in crop 2 only, outside the overlap
    assert _loss_with_fixed_crops(objective, context, crops, monkeypatch) != pytest.approx(reference, abs=1e-4)


def test_evaluated_encoder_is_the_mean_of_the_initial_weights_and_the_iterates() -> None:
    """As torch's ``AveragedModel`` in the reference code: built on the initial weights, updated after each step."""
    torch.manual_seed(0)
    inputs = np.random.default_rng(0).standard_normal((16, 1, 12)).astype(np.float32)
    objective = build_objective("ts2vec", build_encoder("ts2vec", (1, 12), 8, {"depth": 1, "hidden_dim": 4}))
    reference = torch.optim.swa_utils.AveragedModel(objective.online)
    reference.update_parameters(objective.online)
    snapshots = [objective.online.input_projection.weight.detach().clone()]
    original_after_step = objective.after_step

    def record() -> None:
        snapshots.append(objective.online.input_projection.weight.detach().clone())
        reference.update_parameters(objective.online)
        original_after_step()

    objective.after_step = record  # type: ignore[method-assign]
    pretrain(objective, inputs, TrainConfig(batch_size=8, iterations=5, cosine_schedule=False), seed=0, device=CPU)
    assert len(snapshots) == 6
    assert torch.allclose(objective.encoder.input_projection.weight, torch.stack(snapshots).mean(dim=0), atol=1e-6)
    for averaged, ours in zip(reference.module.parameters(), objective.encoder.parameters()):
        assert torch.allclose(averaged, ours, atol=1e-6)
    assert objective.encoder.input_projection.weight.grad is None


def test_ts2vec_trains_other_token_encoders_and_refuses_encoders_without_tokens() -> None:
    from sslbench.ssl_models.encoders.cnn import CNNEncoder
    from sslbench.ssl_models.objectives.ts2vec import TS2Vec

    assert TS2Vec.incompatibility(CNNEncoder, "sequence") == "needs an encoder with per-token features"
    assert "applies to sequence data" in TS2Vec.incompatibility(CNNEncoder, "image")
    inputs = np.random.default_rng(1).standard_normal((12, 2, 10)).astype(np.float32)
    objective = build_objective("ts2vec", build_encoder("gru", (2, 10), 8))
    result = pretrain(objective, inputs, TrainConfig(batch_size=4, iterations=4), seed=0, device=CPU)
    assert all(math.isfinite(loss) for loss in result.history)


# --- iteration budget -------------------------------------------------------------------------------------------


def test_an_iteration_budget_runs_exactly_that_many_steps_across_passes() -> None:
    inputs = np.random.default_rng(0).standard_normal((24, 1, 6)).astype(np.float32)
    objective = build_objective("ts2vec", PointwiseEncoder((1, 6), 4))
    steps = []
    objective.after_step = lambda: steps.append(1)  # type: ignore[method-assign]
    result = pretrain(objective, inputs, TrainConfig(batch_size=8, iterations=7), seed=0, device=CPU)
    assert len(steps) == 7 and len(result.history) == 3  # passes of 3, 3 and 1 steps
    config = TrainConfig(batch_size=8, iterations=200, large_set_iterations=600)
    assert total_steps(config, np.zeros((10, 1, LARGE_SET_VALUES // 10))) == 200
    assert total_steps(config, np.zeros((10, 1, LARGE_SET_VALUES // 10 + 1))) == 600
    assert total_steps(TrainConfig(epochs=3, batch_size=8), inputs) == 9
    with pytest.raises(ValueError, match="large_set_iterations needs train.iterations"):
        TrainConfig(large_set_iterations=600)
    with pytest.raises(ValueError, match="train.iterations must be an integer of at least 1"):
        TrainConfig(iterations=0)


# --- SVM protocol -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "n_train, n_classes, searches", [(50, 10, True), (49, 2, False), (64, 13, False), (300, 2, True)]
)
def test_c_is_searched_only_under_the_published_rule(n_train: int, n_classes: int, searches: bool) -> None:
    assert searches_c(n_train, n_classes) is searches


def test_tiny_training_sets_get_the_hard_margin_svm() -> None:
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1, 2], 8)
    features = rng.standard_normal((24, 5)) + 6 * np.eye(3, 5)[labels]
    svm = fit_svm(features, labels)
    assert math.isinf(svm.C) and svm.kernel == "rbf" and svm.gamma == "scale"
    assert (svm.predict(features) == labels).all()


def test_c_is_chosen_on_train_only() -> None:
    rng = np.random.default_rng(1)
    labels = np.repeat([0, 1], 40)
    train = rng.standard_normal((80, 4)) + 0.8 * labels[:, None]
    test = rng.standard_normal((60, 4)) + 0.8 * np.repeat([0, 1], 30)[:, None]
    scores = svm_protocol_scores(train, labels, test, np.repeat([0, 1], 30))
    shuffled = svm_protocol_scores(train, labels, test, rng.permutation(np.repeat([0, 1], 30)))
    assert scores["svm_c"] == shuffled["svm_c"] and scores["svm_c"] in (
        1e-4,
        1e-3,
        1e-2,
        1e-1,
        1,
        10,
        100,
        1e3,
        1e4,
        math.inf,
    )
    assert 0.6 < scores["svm_acc"] <= 1.0


# --- archive files ----------------------------------------------------------------------------------------------


def write_ts(path: Path, name: str, series: list[np.ndarray], labels: list[str], classes: list[str]) -> None:
    """A classification file in the UCR/UEA ``.ts`` format: channels separated by ':', the label last."""
    equal = len({example.shape[1] for example in series}) == 1
    header = [
        f"@problemName {name}",
        "@timeStamps false",
        "@missing false",
        f"@univariate {'true' if series[0].shape[0] == 1 else 'false'}",
        f"@dimensions {series[0].shape[0]}",
        f"@equalLength {'true' if equal else 'false'}",
    ]
    if equal:
        header.append(f"@seriesLength {series[0].shape[1]}")
    header += [f"@classLabel true {' '.join(classes)}", "@data"]
    rows = [
        ":".join(",".join(f"{value:g}" for value in channel) for channel in example) + f":{label}"
        for example, label in zip(series, labels)
    ]
    path.write_text("\n".join(header + rows) + "\n")


def _archive(root: Path, name: str, channels: int, lengths: list[int], labels: list[str]) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    series = [rng.standard_normal((channels, length)) * 3 + 1 for length in lengths]
    folder = root / "ucr" / name
    folder.mkdir(parents=True)
    half = len(series) // 2
    write_ts(folder / f"{name}_TRAIN.ts", name, series[:half], labels[:half], sorted(set(labels)))
    write_ts(folder / f"{name}_TEST.ts", name, series[half:], labels[half:], sorted(set(labels)))
    return series


def test_archive_set_in_ts_format_loads_by_name_z_normalised_with_the_protocol(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSLBENCH_DATA", str(tmp_path))
    labels = ["up", "down", "up", "down", "down", "up"]
    series = _archive(tmp_path, "TinyMotion", 2, [7] * 6, labels)
    raw = data.DATASETS.get("ucr:TinyMotion")(normalisation="per_series")  # multivariate default: train_channel
    assert raw.inputs.shape == (6, 2, 7) and raw.class_names == ("down", "up")
    assert raw.labels.tolist() == [1, 0, 1, 0, 0, 1] and raw.official_test.tolist() == [False] * 3 + [True] * 3
    expected = (series[4] - series[4].mean(axis=1, keepdims=True)) / series[4].std(axis=1, keepdims=True)
    assert np.allclose(raw.inputs[4], expected, atol=1e-5)
    assert raw.evaluators == ("svm_protocol",)


def test_the_ts2vec_suite_names_every_classification_set_bundled_with_aeon() -> None:
    from sslbench.benchmarks.suite import load_suite
    from sslbench.ssl_models.data.ucr import SHORT_NAMES, bundled_sets

    named = set(load_suite("ts2vec").datasets)
    bundled = bundled_sets()
    assert len(bundled) >= 10
    missing = [
        name
        for name, equal_length in bundled
        if not {SHORT_NAMES.get(name), f"ucr:{name}" if equal_length else f"ucr_padded:{name}"} & named
    ]
    assert missing == []


def test_the_ts2vec_suite_standardises_unnormalised_ucr_sets_over_the_training_set_as_ts2vec_does() -> None:
    """TS2Vec's ``load_UCR`` leaves the archive's z-normalised sets as they are and standardises the others with one
    mean and std over all training values (``train_channel`` on one channel); UnitTest is a subset of Chinatown,
    one of those others."""
    from sslbench.benchmarks.suite import load_suite

    suite = load_suite("ts2vec")
    for name in ("gunpoint", "arrowhead", "ucr:OSULeaf", "ucr:UnitTest", "ucr_padded:PickupGestureWiimoteZ"):
        options = suite.dataset_options.get(name, {})
        raw = data.DATASETS.get(name)(normalisation="none")
        mask = raw.extras.get("mask", np.ones(raw.inputs.shape[::2]))
        real = [example[0, row > 0] for example, row in zip(raw.inputs, mask)]
        shipped_normalised = all(abs(series.mean()) < 1e-3 and abs(series.std() - 1) < 0.02 for series in real)
        assert options.get("normalisation", "per_series") == ("per_series" if shipped_normalised else "train_channel")
    unit_test = data.DATASETS.get("ucr:UnitTest")(normalisation="train_channel")
    train = unit_test.inputs[~unit_test.official_test]
    assert abs(train.mean()) < 1e-5 and abs(train.std() - 1) < 1e-5


def test_unequal_length_ts_files_pad_with_a_mask(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSLBENCH_DATA", str(tmp_path))
    _archive(tmp_path, "TinyVarying", 1, [5, 9, 6, 9, 4, 7], ["1", "2", "10", "1", "2", "10"])
    raw = data.DATASETS.get("ucr_padded:TinyVarying")()
    assert raw.inputs.shape == (6, 1, 9) and raw.class_names == ("1", "2", "10")
    assert raw.extras["mask"].sum(axis=1).tolist() == [5, 9, 6, 9, 4, 7]
    assert not raw.inputs[4, :, 4:].any()


# --- supervised bound -------------------------------------------------------------------------------------------


def test_supervised_bound_on_clean_inputs_ignores_the_augmented_views() -> None:
    torch.manual_seed(0)
    inputs, labels = torch.randn(6, 1, 10), torch.tensor([0, 1, 2, 0, 1, 2])
    noisy = torch.randn(6, 1, 1, 10) * 5
    clean = build_objective(
        "supervised", build_encoder("ts2vec", (1, 10), 8, {"depth": 1}), {"n_classes": 3, "clean_inputs": True}
    ).eval()
    on_views = build_objective("supervised", clean.encoder, {"n_classes": 3}).eval()
    on_views.head = clean.head
    with_views, without = Batch(inputs, noisy, labels), Batch(inputs, None, labels)
    assert clean(with_views).item() == pytest.approx(clean(without).item())
    assert on_views(with_views).item() != pytest.approx(on_views(without).item())
