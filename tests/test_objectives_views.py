"""View groups (per-group pipelines and banks), multi-crop image views, and the objectives that declare their
views: DINO, MoCo v3 and BYOL's asymmetric pair — hand-computed losses, invariances, no gradient to the
momentum branch, exact EMA and centring updates."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import STILL
from sslbench.benchmarks.plan import make_plan
from sslbench.benchmarks.suite import load_suite, suite_from_dict, with_overrides
from sslbench.ssl_models.augment import (
    ASYMMETRIC_VIEWS,
    DEFAULT_GROUP,
    ViewGroup,
    bank_key,
    build_augmentation,
    group_banks,
    open_bank,
)
from sslbench.ssl_models.data import SplitData
from sslbench.ssl_models.encoders import build_encoder
from sslbench.ssl_models.encoders.cnn import CNNEncoder
from sslbench.ssl_models.encoders.mlp import MLPEncoder
from sslbench.ssl_models.objectives import OBJECTIVES, Batch
from sslbench.ssl_models.objectives.byol import BYOL
from sslbench.ssl_models.objectives.dino import DINO, dino_loss
from sslbench.ssl_models.objectives.moco_v3 import MoCoV3, moco_contrastive_loss
from sslbench.ssl_models.train import iterate_batches
from sslbench.tasks.data import generate_views, prepare_split
from sslbench.tasks.pretrain import legacy_view_keys, pretrain_job, view_bank_keys


def rows(seed: int, *shape: int) -> torch.Tensor:
    """A reproducible standard-normal tensor."""
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


# --- view groups and their banks ----------------------------------------------------------------------------


def test_an_objective_without_declared_views_keeps_the_legacy_bank_key_and_seed() -> None:
    groups = OBJECTIVES.get("simclr").view_groups({"temperature": 0.2})
    assert groups == (ViewGroup(DEFAULT_GROUP, 2),)
    [bank] = group_banks(groups, "image", "image", {"noise_std": 0.1}, bank_views=16, seed=3)
    assert bank.seed == 3 and dict(bank.options) == {"noise_std": 0.1}
    assert bank.key("fingerprint") == bank_key("fingerprint", "image", {"noise_std": 0.1}, 16, 3)
    assert OBJECTIVES.get("autoencoder").view_groups() == ()


def test_declared_groups_get_their_own_pipeline_seed_and_key() -> None:
    first, second = group_banks(ASYMMETRIC_VIEWS, "image", "image", {"noise_std": 0.1}, bank_views=4, seed=0)
    assert dict(first.options) == {"noise_std": 0.1, "blur_probability": 1.0, "solarize_probability": 0.0}
    assert dict(second.options) == {"noise_std": 0.1, "blur_probability": 0.1, "solarize_probability": 0.2}
    assert len({first.seed, second.seed, 0}) == 3
    assert first.key("fp") != second.key("fp")
    again = group_banks(ASYMMETRIC_VIEWS, "image", "image", {"noise_std": 0.2}, bank_views=4, seed=0)
    assert again[0].key("fp") != first.key("fp")  # the key follows every option of the pipeline
    sequence_first, _ = group_banks(ASYMMETRIC_VIEWS, "sequence", "sequence", {}, bank_views=4, seed=0)
    assert dict(sequence_first.options) == {}  # image-only options stay off series
    with pytest.raises(ValueError, match="draws 2 views but its bank would hold only 1"):
        group_banks([ViewGroup("pair", 2)], "image", "image", {}, bank_views=1, seed=0)


@pytest.mark.parametrize("size, fraction", [(28, 3 / 7), (8, 0.5), (10, 1.0)])
def test_a_still_crop_at_a_fraction_of_the_size_is_bilinear_resampling(size: int, fraction: float) -> None:
    images = torch.rand(3, 2, size, size, generator=torch.Generator().manual_seed(size))
    augment = build_augmentation("image", (2, size, size), {**STILL, "output_fraction": fraction})
    small = round(fraction * size)
    assert augment.output_shape == (2, small, small)
    expected = F.interpolate(images, size=(small, small), mode="bilinear", align_corners=False)
    assert torch.allclose(augment(images, seed=1), expected, atol=1e-5)


def test_blur_keeps_constants_and_spreads_a_point_as_a_normalised_gaussian() -> None:
    sigma = 0.8
    augment = build_augmentation("image", (1, 9, 9), {**STILL, "blur_probability": 1.0, "blur_sigma": (sigma, sigma)})
    constant = torch.full((2, 1, 9, 9), 0.3)
    assert torch.allclose(augment(constant, seed=0), constant, atol=1e-6)
    point = torch.zeros(1, 1, 9, 9)
    point[0, 0, 4, 4] = 1.0
    radius = math.ceil(3 * sigma)
    weights = [math.exp(-x * x / (2 * sigma * sigma)) for x in range(-radius, radius + 1)]
    weights = [w / sum(weights) for w in weights]
    blurred = augment(point, seed=0)[0, 0]
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            expected = weights[dy + radius] * weights[dx + radius]
            assert blurred[4 + dy, 4 + dx].item() == pytest.approx(expected, abs=1e-6)
    assert blurred.sum().item() == pytest.approx(1.0, abs=1e-6)


def test_solarisation_inverts_bright_pixels_only() -> None:
    images = torch.tensor([0.0, 0.2, 0.49, 0.5, 0.8, 1.0]).reshape(1, 1, 2, 3)
    augment = build_augmentation("image", (1, 2, 3), {**STILL, "solarize_probability": 1.0})
    assert torch.allclose(augment(images, seed=0).flatten(), torch.tensor([0.0, 0.2, 0.49, 0.5, 0.2, 0.0]))


def test_steps_switched_off_draw_nothing_so_default_views_are_unchanged() -> None:
    images = torch.rand(6, 1, 12, 12, generator=torch.Generator().manual_seed(0))
    default = build_augmentation("image", (1, 12, 12))(images, seed=5)
    off = {"blur_probability": 0.0, "solarize_probability": 0.0, "output_fraction": 1.0}
    assert torch.equal(build_augmentation("image", (1, 12, 12), off)(images, seed=5), default)
    blurred = build_augmentation("image", (1, 12, 12), {"blur_probability": 1.0})(images, seed=5)
    assert not torch.equal(blurred, default)


def test_group_banks_are_drawn_per_group_and_one_bank_draws_as_before() -> None:
    rng = np.random.default_rng(0)
    inputs = rng.random((20, 1, 6, 6), dtype=np.float32)
    full = rng.random((20, 4, 1, 6, 6), dtype=np.float32)
    small = rng.random((20, 5, 1, 3, 3), dtype=np.float32)
    legacy = list(iterate_batches(inputs, None, full, 2, 8, np.random.default_rng(1)))
    single = list(iterate_batches(inputs, None, {DEFAULT_GROUP: full}, {DEFAULT_GROUP: 2}, 8, np.random.default_rng(1)))
    assert all(torch.equal(a.views, b.views) and torch.equal(a.inputs, b.inputs) for a, b in zip(legacy, single))
    for batch in iterate_batches(
        inputs, None, {"global": full, "local": small}, {"global": 2, "local": 3}, 8, np.random.default_rng(2)
    ):
        assert batch.views is None and batch.group("global").shape == (8, 2, 1, 6, 6)
        local = batch.group("local")
        assert local.shape == (8, 3, 1, 3, 3)
        index = [int(np.flatnonzero((inputs == row.numpy()).all(axis=(1, 2, 3)))[0]) for row in batch.inputs]
        for example, views in zip(index, local):  # distinct views of the example's own bank row
            matches = [int(np.flatnonzero((small[example] == view.numpy()).all(axis=(1, 2, 3)))[0]) for view in views]
            assert len(set(matches)) == 3
    with pytest.raises(ValueError, match="needs the views of group 'local'"):
        Batch(torch.zeros(1)).group("local")


# --- planning -----------------------------------------------------------------------------------------------


def test_multi_crop_refuses_fixed_size_encoders_at_planning_and_sizes_every_bank() -> None:
    suite = suite_from_dict(
        {
            "datasets": ["mnist5k"],
            "encoders": ["mlp", "cnn"],
            "objectives": ["dino", "moco_v3"],
            "seeds": [0],
            "baselines": [],
            "augment": {"n_views": 4},
        }
    )
    plan = make_plan(suite)
    cells = {(job.encoder, job.objective): job for job in plan.jobs}
    assert set(cells) == {("cnn", "dino"), ("mlp", "moco_v3"), ("cnn", "moco_v3")}
    [skipped] = plan.skipped
    assert (skipped.encoder, skipped.objective) == ("mlp", "dino")
    assert "local views are smaller than the examples" in skipped.reason and "MLPEncoder" in skipped.reason
    assert cells[("cnn", "dino")].n_views == 6 and cells[("cnn", "moco_v3")].n_views == 4
    assert DINO.incompatibility(MLPEncoder, "image", {"n_local_views": 0}) is None  # no local crops
    assert DINO.incompatibility(MLPEncoder, "sequence") is None  # series keep their length
    assert DINO.incompatibility(CNNEncoder, "image") is None


def test_bad_multi_crop_options_are_refused_where_they_enter() -> None:
    with pytest.raises(ValueError, match="n_local_views must be a non-negative integer"):
        DINO.view_groups({"n_local_views": 2.5})
    with pytest.raises(ValueError, match=r"local_crop_fraction must be in \(0, 1\]"):
        DINO.view_groups({"local_crop_fraction": 1.5})
    with pytest.raises(ValueError, match="output_fraction must be in"):
        build_augmentation("image", (1, 4, 4), {"output_fraction": 0.1})
    with pytest.raises(ValueError, match="teacher_temperature < student_temperature"):
        DINO(build_encoder("cnn", (1, 8, 8), 4), teacher_temperature=0.1, student_temperature=0.1)


# --- DINO ---------------------------------------------------------------------------------------------------


def test_dino_loss_matches_a_hand_computed_value() -> None:
    teacher = torch.tensor([[[0.0, 1.0], [1.0, 0.0]]])  # (B=1, G=2, K=2)
    student = torch.tensor([[[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]]])  # (B=1, V=3, K=2): two global, one local
    centre = torch.tensor([0.5, 0.0])
    # teacher: softmax(([0, 1] − c) / 0.5) = softmax([−1, 2]); softmax(([1, 0] − c) / 0.5) = softmax([1, 0])
    p1 = [math.exp(-1) / (math.exp(-1) + math.exp(2)), math.exp(2) / (math.exp(-1) + math.exp(2))]
    p2 = [math.e / (math.e + 1), 1 / (math.e + 1)]
    # student log-probabilities at τ_s = 1
    log_s = [
        [math.log(0.5)] * 2,
        [1 - math.log(math.e + 1), -math.log(math.e + 1)],
        [-math.log(1 + math.e**2), 2 - math.log(1 + math.e**2)],
    ]

    def ce(p: list[float], s: list[float]) -> float:
        return -(p[0] * s[0] + p[1] * s[1])

    expected = (ce(p1, log_s[1]) + ce(p1, log_s[2]) + ce(p2, log_s[0]) + ce(p2, log_s[2])) / 4
    assert dino_loss(teacher, student, centre, 0.5, 1.0).item() == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("batch, n_global, n_views, n_prototypes", [(4, 2, 8, 16), (3, 2, 2, 5), (1, 2, 5, 7)])
def test_dino_loss_is_invariant_to_score_shifts_and_joint_permutations(
    batch: int, n_global: int, n_views: int, n_prototypes: int
) -> None:
    teacher, student = rows(batch, batch, n_global, n_prototypes), rows(n_views, batch, n_views, n_prototypes)
    centre = rows(1, n_prototypes)
    loss = dino_loss(teacher, student, centre, 0.04, 0.1)
    shifted = dino_loss(teacher + rows(2, batch, n_global, 1), student + rows(3, batch, n_views, 1), centre, 0.04, 0.1)
    assert shifted.item() == pytest.approx(loss.item(), rel=1e-5)  # softmax ignores a constant per view
    examples, prototypes = torch.randperm(batch), torch.randperm(n_prototypes)
    permuted = dino_loss(
        teacher[examples][..., prototypes], student[examples][..., prototypes], centre[prototypes], 0.04, 0.1
    )
    assert permuted.item() == pytest.approx(loss.item(), rel=1e-5)
    # the teacher's own view is never a pair: a global student view only meets the other global's teacher
    one_pair = dino_loss(teacher[:, :1], student[:, :2], centre, 0.04, 0.1)
    moved = torch.cat([student[:, :1] + 5.0 * rows(4, batch, 1, n_prototypes), student[:, 1:2]], 1)
    moved_loss = dino_loss(teacher[:, :1], moved, centre, 0.04, 0.1)
    assert one_pair.item() == pytest.approx(moved_loss.item(), rel=1e-5)


def test_dino_sharpening_makes_the_teacher_more_confident_than_the_student() -> None:
    scores = rows(5, 6, 1, 10)
    zero = torch.zeros(10)

    def entropy(temperature: float) -> float:
        probabilities = F.softmax(scores / temperature, -1)
        return float(-(probabilities * F.log_softmax(scores / temperature, -1)).sum(-1).mean())

    assert entropy(0.04) < entropy(0.1)
    # with identical scores the loss is H(P_t, P_s) ≥ H(P_t), the sharper teacher's entropy
    same = scores.expand(6, 2, 10)
    assert dino_loss(same, same, zero, 0.04, 0.1).item() >= entropy(0.04)


def dino(n_local: int = 2, seed: int = 0, **options: float) -> DINO:
    """A small DINO on a CNN for (1, 8, 8) images."""
    torch.manual_seed(seed)
    encoder = build_encoder("cnn", (1, 8, 8), 6, {"width": 4})
    return DINO(encoder, n_local_views=n_local, n_prototypes=12, hidden_dim=16, bottleneck_dim=8, **options)


def dino_batch(seed: int, batch: int = 6, n_local: int = 2) -> Batch:
    """Two 8×8 global and ``n_local`` 4×4 local views per example."""
    groups = {"global": torch.rand(batch, 2, 1, 8, 8, generator=torch.Generator().manual_seed(seed))}
    if n_local:
        generator = torch.Generator().manual_seed(seed + 1)
        groups["local"] = torch.rand(batch, n_local, 1, 4, 4, generator=generator)
    return Batch(groups["global"][:, 0], groups=groups)


@pytest.mark.parametrize("n_local, seed", [(2, 0), (0, 1), (5, 2)])
def test_dino_teacher_gets_no_gradient_and_teacher_and_centre_follow_their_emas_exactly(
    n_local: int, seed: int
) -> None:
    objective = dino(n_local, seed, momentum=0.9, cosine_momentum=False, centre_momentum=0.8)
    objective.centre.copy_(rows(seed, 12))
    teacher_params = [*objective.teacher_encoder.parameters(), *objective.teacher_head.parameters()]
    student_params = [*objective.encoder.parameters(), *objective.head.parameters()]
    before = [p.detach().clone() for p in teacher_params]
    centre_before = objective.centre.clone()
    batch = dino_batch(seed, n_local=n_local)
    with torch.no_grad():
        expected_centre_term = objective.scores(
            objective.teacher_encoder, objective.teacher_head, batch.group("global")
        ).mean(dim=(0, 1))
    objective(batch).backward()
    assert all(not p.requires_grad and p.grad is None for p in teacher_params)
    assert all(p.grad is not None for p in student_params)
    torch.optim.SGD([p for p in objective.parameters() if p.requires_grad], lr=0.5).step()
    assert all(torch.equal(p, old) for p, old in zip(teacher_params, before))
    objective.after_step()
    for teacher, old, student in zip(teacher_params, before, student_params):
        assert torch.allclose(teacher, 0.9 * old + 0.1 * student.detach(), atol=1e-6)
    assert torch.allclose(objective.centre, 0.8 * centre_before + 0.2 * expected_centre_term, atol=1e-6)


def test_dino_student_reads_local_crops_of_a_smaller_size() -> None:
    objective = dino(3)
    batch = dino_batch(7, n_local=3)
    with_local = objective(batch)
    without_local = objective(Batch(batch.inputs, groups={"global": batch.group("global")}))
    assert math.isfinite(with_local.item()) and with_local.item() != pytest.approx(without_local.item())


# --- MoCo v3 ------------------------------------------------------------------------------------------------


def test_moco_v3_contrastive_loss_matches_a_hand_computed_value() -> None:
    queries = torch.tensor([[3.0, 0.0], [0.0, 2.0]])
    keys = torch.tensor([[1.0, 1.0], [0.0, 5.0]])
    tau = 0.5
    # unit vectors: q̄ = e1, e2; k̄ = (1, 1)/√2, e2 → logits [[1/√2, 0], [1/√2, 1]] / τ
    a = 1 / math.sqrt(2) / tau
    row0 = -(a - math.log(math.exp(a) + 1))
    row1 = -(2.0 - math.log(math.exp(a) + math.exp(2.0)))
    expected = 2 * tau * (row0 + row1) / 2
    assert moco_contrastive_loss(queries, keys, tau).item() == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("batch, dim, seed", [(8, 4, 0), (3, 16, 1), (16, 2, 2)])
def test_moco_v3_loss_is_invariant_to_scale_rotation_and_joint_permutation(batch: int, dim: int, seed: int) -> None:
    queries, keys = rows(seed, batch, dim), rows(seed + 10, batch, dim)
    loss = moco_contrastive_loss(queries, keys, 0.2)
    scales = rows(seed + 20, batch, 1).abs() + 0.1
    rotation = torch.linalg.qr(rows(seed + 30, dim, dim))[0]
    order = torch.randperm(batch)
    changes = [(queries * scales, keys * 3.0), (queries @ rotation, keys @ rotation), (queries[order], keys[order])]
    for changed_queries, changed_keys in changes:
        changed = moco_contrastive_loss(changed_queries, changed_keys, 0.2)
        assert changed.item() == pytest.approx(loss.item(), rel=1e-5)
    # the aligned optimum: keys equal to orthogonal queries give 2τ · log(1 + (B − 1) e^(−1/τ))
    eye = torch.eye(batch, batch)
    aligned = moco_contrastive_loss(eye, eye, 0.2).item()
    assert aligned == pytest.approx(2 * 0.2 * math.log(1 + (batch - 1) * math.exp(-1 / 0.2)), rel=1e-5)


def moco(seed: int = 0, **options: float) -> MoCoV3:
    """A small MoCo v3 on an MLP for 6-d vectors."""
    torch.manual_seed(seed)
    encoder = build_encoder("mlp", (6,), 4, options={"hidden_dim": 8})
    return MoCoV3(encoder, projection_dim=4, hidden_dim=8, **options)


def pair_batch(seed: int, batch: int = 8) -> Batch:
    """One view from each of ASYMMETRIC_VIEWS' groups per example, 6-d."""
    views = rows(seed, batch, 2, 6)
    return Batch(views[:, 0], groups={"first": views[:, :1], "second": views[:, 1:]})


@pytest.mark.parametrize("seed", [0, 3])
def test_moco_v3_momentum_branch_gets_no_gradient_and_follows_the_ema_exactly(seed: int) -> None:
    objective = moco(seed, momentum=0.9, cosine_momentum=False)
    key_params = [*objective.momentum_encoder.parameters(), *objective.momentum_projector.parameters()]
    query_params = [*objective.encoder.parameters(), *objective.projector.parameters()]
    before = [p.detach().clone() for p in key_params]
    objective(pair_batch(seed)).backward()
    assert all(not p.requires_grad and p.grad is None for p in key_params)
    assert all(p.grad is not None for p in [*query_params, *objective.predictor.parameters()])
    torch.optim.SGD([p for p in objective.parameters() if p.requires_grad], lr=0.5).step()
    assert all(torch.equal(p, old) for p, old in zip(key_params, before))
    objective.after_step()
    for key, old, query in zip(key_params, before, query_params):
        assert torch.allclose(key, 0.9 * old + 0.1 * query.detach(), atol=1e-7)


def test_moco_v3_is_symmetric_in_its_two_views_and_scaled_by_two_tau() -> None:
    objective = moco(1)
    batch = pair_batch(5)
    swapped = Batch(batch.inputs, groups={"first": batch.group("second"), "second": batch.group("first")})
    assert objective(swapped).item() == pytest.approx(objective(batch).item(), rel=1e-5)
    first, second = batch.group("first")[:, 0], batch.group("second")[:, 0]
    queries = [objective.predictor(objective.projector(objective.encoder(v))) for v in (first, second)]
    keys = [objective.momentum_projector(objective.momentum_encoder(v)) for v in (first, second)]
    unscaled = F.cross_entropy(
        F.normalize(queries[0], dim=1) @ F.normalize(keys[1], dim=1).T / 0.2, torch.arange(8)
    ) + F.cross_entropy(F.normalize(queries[1], dim=1) @ F.normalize(keys[0], dim=1).T / 0.2, torch.arange(8))
    assert objective(batch).item() == pytest.approx(2 * 0.2 * unscaled.item(), rel=1e-5)


# --- BYOL's views -------------------------------------------------------------------------------------------


def test_byol_and_moco_v3_declare_the_published_asymmetric_pair() -> None:
    assert BYOL.view_groups() == ASYMMETRIC_VIEWS == MoCoV3.view_groups()
    first, second = (dict(group.options_for("image")) for group in ASYMMETRIC_VIEWS)
    assert (first["blur_probability"], second["blur_probability"]) == (1.0, 0.1)
    assert (first["solarize_probability"], second["solarize_probability"]) == (0.0, 0.2)
    with pytest.raises(ValueError, match="needs the views of group 'first'"):
        BYOL(build_encoder("linear", (3,), 2))(Batch(torch.zeros(4, 3), views=torch.zeros(4, 2, 3)))


# --- the task layer: one bank per group, cached by the group's pipeline -------------------------------------


def test_jobs_get_one_cached_bank_per_view_group_and_legacy_jobs_keep_their_bank(tmp_path: Path) -> None:
    suite = with_overrides(
        load_suite("quick"),
        datasets=["digits"],
        encoders=["cnn"],
        objectives=["simclr", "byol", "dino"],
        epochs=1,
        baselines=[],
        seeds=[0],
    )
    suite = dataclasses.replace(
        suite, augment=dataclasses.replace(suite.augment, n_views=2), objective_options={"dino": {"n_local_views": 3}}
    )
    jobs = {job.objective: job for job in make_plan(suite).jobs}
    split_file = prepare_split(jobs["simclr"], str(tmp_path))
    split = SplitData.load(Path(split_file))
    banks = {name: generate_views(job, split_file, str(tmp_path)) for name, job in jobs.items()}
    assert set(banks["simclr"]) == {DEFAULT_GROUP} and set(banks["byol"]) == {"first", "second"}
    assert set(banks["dino"]) == {"global", "local"}
    legacy_key = bank_key(split.fingerprint(), "image", dict(jobs["simclr"].augmentation_options), 2, 0)
    assert Path(banks["simclr"][DEFAULT_GROUP]).stem == legacy_key
    paths = [path for groups in banks.values() for path in groups.values()]
    assert len(set(paths)) == len(paths) == 5
    n_train = len(split.x_train)
    assert open_bank(Path(banks["dino"]["global"])).shape == (n_train, 3, 1, 8, 8)  # as deep as 3 local views
    assert open_bank(Path(banks["dino"]["local"])).shape == (n_train, 3, 1, 3, 3)  # 3/7 of 8×8
    first, second = (open_bank(Path(banks["byol"][group])) for group in ("first", "second"))
    assert not np.array_equal(first, second)
    mtimes = {path: Path(path).stat().st_mtime_ns for path in paths}
    assert generate_views(jobs["dino"], split_file, str(tmp_path)) == banks["dino"]  # reused, not redrawn
    assert all(Path(path).stat().st_mtime_ns >= mtimes[path] for path in paths)
    trained = pretrain_job(jobs["dino"], split_file, banks["dino"], str(tmp_path))
    assert len(trained["history"]) == 1 and math.isfinite(trained["history"][0])


def test_a_pretrain_record_is_reused_only_for_the_same_view_banks(tmp_path: Path) -> None:
    suite = with_overrides(
        load_suite("quick"),
        datasets=["digits"],
        encoders=["mlp"],
        objectives=["byol"],
        epochs=1,
        baselines=[],
        seeds=[0],
    )
    suite = dataclasses.replace(suite, augment=dataclasses.replace(suite.augment, n_views=1))
    [job] = make_plan(suite).jobs
    split_file = prepare_split(job, str(tmp_path))
    banks = generate_views(job, split_file, str(tmp_path))
    assert not pretrain_job(job, split_file, banks, str(tmp_path))["cached"]
    assert pretrain_job(job, split_file, banks, str(tmp_path))["cached"]
    swapped = {"first": banks["second"], "second": banks["first"]}  # other banks: trained again
    assert not pretrain_job(job, split_file, swapped, str(tmp_path))["cached"]
    assert legacy_view_keys({DEFAULT_GROUP: "abc"}) == {DEFAULT_GROUP: "abc"}  # old default-view records hold
    assert legacy_view_keys(view_bank_keys(banks)) is None  # those of BYOL's old views do not
