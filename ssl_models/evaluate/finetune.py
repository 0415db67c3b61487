"""End-to-end fine-tuning of the pretrained encoder with a linear head, the field's second protocol beside frozen
probes, registered as the ``finetune`` evaluator (on request: a suite's ``[finetune]`` table).

On the fitting rows R, with the epoch chosen on the held-out rows V (``finetune_rows``): at 100 % of the labels R is
the training split outside its validation part and V that part; at a label fraction f < 1, R is exactly the linear
probe's stratified nested draw (``label_subset`` of the training labels) and V the validation part without R.

    head₀ = the frozen linear probe folded into one layer: W = A / σ, b = a − W μ    (standardiser μ, σ; logits
            of the logistic regression A·(z − μ)/σ + a, C by CV inside the fitting rows; Kumar et al. 2022, LP-FT)
    θ_e   = e epochs of AdamW on mean cross-entropy of head(f(x)) over encoder f and head, shuffled mini-batches
    ê     = argmax_e accuracy on V of θ_e, e = 0 … epochs (the earliest among equals; stop after ``patience``
            epochs without improvement)

and θ_ê is scored once on test. Reports ``finetune_acc`` (test), ``finetune_epoch/validation`` (ê) and
``finetune_acc/validation`` (on V); for each label fraction f < 1 and draw d of the probe settings, the same under
``label_finetune_*/labels=f/draw=d``. R and V never share a row, and test is never read before ê is chosen.

The job's encoder is copied, never modified. With 0 epochs the result is the linear probe fitted on the fitting
rows. BatchNorm layers use batch statistics while training (the last partial batch is dropped as in
pretraining); dropout draws from torch's global generator, seeded by the job's seed for the fine-tuning.
"""

from __future__ import annotations

import contextlib
import copy
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.pipeline import Pipeline
from sslbench.ssl_models.configs import FinetuneConfig, ProbeConfig
from sslbench.ssl_models.data.base import SplitData
from sslbench.ssl_models.data.label_subsets import label_subset
from sslbench.ssl_models.device import default_device, seeded_global_rng
from sslbench.ssl_models.evaluate.embed import embed
from sslbench.ssl_models.evaluate.metric_names import MetricName
from sslbench.ssl_models.evaluate.probes import fit_linear_probe
from sslbench.ssl_models.evaluate.registry import EvaluationContext, evaluator
from sslbench.ssl_models.train import iterate_batches
from torch import nn

NAME = "finetune"
SHUFFLE_STREAM = 3  # the mini-batch order's own stream: numpy.random.default_rng([seed, SHUFFLE_STREAM])
TABLES = {"finetune_acc": "Fine-tuned accuracy (encoder + linear head, epoch chosen on validation)"}


@dataclass
class FineTuned:
    """A fine-tuned encoder → head network, the labels its outputs stand for, the chosen epoch ê and its
    validation accuracy."""

    network: nn.Sequential
    classes: np.ndarray
    epoch: int
    validation_acc: float

    def accuracy(self, inputs: np.ndarray, labels: np.ndarray) -> float:
        """Share of ``inputs`` whose arg-max logit is their label."""
        return _accuracy(self.network, self.classes, inputs, labels)


def linear_head(probe: Pipeline) -> tuple[nn.Linear, np.ndarray]:
    """The fitted standardiser + logistic regression as one layer with the same logits, W = A/σ, b = a − Wμ,
    and the labels of its outputs; a binary probe's single logit s becomes the pair (0, s)."""
    scaler, regression = probe[0], probe[-1]
    weights, intercept = regression.coef_, regression.intercept_
    if weights.shape[0] == 1:
        weights = np.vstack([np.zeros_like(weights), weights])
        intercept = np.concatenate([[0.0], intercept])
    weights = weights / scaler.scale_
    head = nn.Linear(weights.shape[1], weights.shape[0])
    with torch.no_grad():
        head.weight.copy_(torch.from_numpy(weights))
        head.bias.copy_(torch.from_numpy(intercept - weights @ scaler.mean_))
    return head, np.asarray(regression.classes_)


def _seeded_dropout(network: nn.Module, seed: int) -> contextlib.AbstractContextManager[None]:
    """Torch's global generator seeded by ``seed`` (and held) while a network with dropout trains; nothing for a
    network without, so that parallel jobs do not wait for its lock."""
    draws = any(isinstance(module, nn.Dropout) and module.p > 0 for module in network.modules())
    return seeded_global_rng(seed) if draws else contextlib.nullcontext()


def _accuracy(network: nn.Module, classes: np.ndarray, inputs: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(classes[embed(network, inputs).argmax(axis=1)] == labels))


def fine_tune(
    encoder: nn.Module,
    split: SplitData,
    rows: np.ndarray,
    held_out: np.ndarray,
    config: FinetuneConfig,
    probe: ProbeConfig,
    seed: int,
    features: np.ndarray | None = None,
) -> FineTuned:
    """Fine-tune a copy of ``encoder`` on training rows ``rows`` (``features``: their frozen embeddings, when
    already computed), the epoch chosen on training rows ``held_out``; test is never read."""
    assert split.y_train is not None, "fine_tune() needs a labelled split"
    inputs, labels = split.x_train[rows], split.y_train[rows]
    val_inputs, val_labels = split.x_train[held_out], split.y_train[held_out]
    frozen = embed(encoder, inputs) if features is None else features
    head, classes = linear_head(fit_linear_probe(frozen, labels, probe, seed)[0])
    device = default_device()
    network = nn.Sequential(copy.deepcopy(encoder), head).to(device)
    best = FineTuned(network, classes, 0, _accuracy(network, classes, val_inputs, val_labels))
    best_state = copy.deepcopy(network.state_dict())
    optimizer = torch.optim.AdamW(network.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    targets = np.searchsorted(classes, labels)
    order = np.random.default_rng([seed, SHUFFLE_STREAM])
    with _seeded_dropout(network, seed):
        for epoch in range(1, config.epochs + 1):
            network.train()
            for batch in iterate_batches(inputs, targets, None, 0, config.batch_size, order):
                assert batch.labels is not None  # targets are given
                loss = nn.functional.cross_entropy(network(batch.inputs.to(device)), batch.labels.to(device))
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
            score = _accuracy(network, classes, val_inputs, val_labels)
            if score > best.validation_acc:
                best.epoch, best.validation_acc = epoch, score
                best_state = copy.deepcopy(network.state_dict())
            elif epoch - best.epoch >= config.patience:
                break
    network.load_state_dict(best_state)
    network.eval()
    return best


def finetune_rows(split: SplitData, fraction: float, seed: int, draw: int) -> tuple[np.ndarray, np.ndarray]:
    """(R, V): the training rows fine-tuned on at ``fraction`` of draw ``draw`` and those choosing the epoch. At 1:
    the rows outside the validation part and the validation part; below 1: the probes' draw and the validation
    part without it."""
    assert split.y_train is not None, "finetune_rows() needs a labelled split"
    if fraction >= 1:
        return split.fit_rows, split.validation_rows
    rows = label_subset(split.y_train, fraction, seed, draw)
    return rows, np.setdiff1d(split.validation_rows, rows)


def _scores(
    tuned: FineTuned, split: SplitData, prefix: str, fraction: float | None = None, draw: int | None = None
) -> dict[str, float]:
    """Test accuracy, chosen epoch and validation accuracy of ``tuned`` under ``prefix`` metric names."""
    assert split.y_test is not None
    values = {
        ("acc", "test"): tuned.accuracy(split.x_test, split.y_test),
        ("epoch", "validation"): float(tuned.epoch),  # chosen there
        ("acc", "validation"): tuned.validation_acc,
    }
    return {
        MetricName(f"{prefix}_{metric}", where, fraction, draw).key(): value
        for (metric, where), value in values.items()
    }


@evaluator(NAME, tables=TABLES, on_request=True, version=2)  # 2: the probes' own draws; ê under validation
def finetune(context: EvaluationContext) -> dict[str, float]:
    """Fine-tuned accuracy on every fitting row and on each label subset of them; nothing without an encoder,
    test labels or a validation part."""
    split, encoder = context.split, context.encoder
    if encoder is None or split.y_train is None or split.y_test is None or not len(split.validation_rows):
        return {}
    config = context.requested.get(NAME) or FinetuneConfig()
    probe, seed, features = context.probe, context.seed, context.train_embeddings
    fit, held_out = finetune_rows(split, 1.0, seed, 0)
    metrics = _scores(fine_tune(encoder, split, fit, held_out, config, probe, seed, features[fit]), split, NAME)
    for fraction in probe.scarce_fractions:
        for draw in range(probe.label_draws):
            rows, held_out = finetune_rows(split, fraction, seed, draw)
            tuned = fine_tune(encoder, split, rows, held_out, config, probe, seed, features[rows])
            metrics.update(_scores(tuned, split, f"label_{NAME}", fraction, draw))
    return metrics
