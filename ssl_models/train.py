"""The pretraining loop: shuffled mini-batches of clean inputs and bank views, AdamW, cosine schedule.

The budget is ``epochs`` passes over the training set, or, when ``iterations`` is set, exactly that many optimiser
steps (passes repeat, the last one cut short), as TS2Vec trains: 200 iterations, or ``large_set_iterations`` (600)
when the training set holds over ``LARGE_SET_VALUES`` = 100 000 values (N·C·T).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator

import numpy as np
import torch

from ssl_models.device import default_device
from ssl_models.objectives.base import Batch, Objective


LARGE_SET_VALUES = 100_000


class DivergedError(RuntimeError):
    """The training loss became NaN or infinite."""


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation budget and hyperparameters of one pretraining job."""

    epochs: int = 10
    batch_size: int = 256
    learning_rate: float = 1e-3
    weight_decay: float = 1e-4
    cosine_schedule: bool = True
    iterations: int | None = None
    large_set_iterations: int | None = None

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "iterations", "large_set_iterations"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ValueError(f"train.{name} must be an integer of at least 1, got {value!r}")
        if self.large_set_iterations is not None and self.iterations is None:
            raise ValueError("train.large_set_iterations needs train.iterations (the budget of smaller sets)")
        if self.learning_rate <= 0:
            raise ValueError(f"train.learning_rate must be positive, got {self.learning_rate}")


@dataclass
class TrainResult:
    """Per-epoch mean loss, wall time, and throughput (training examples per second)."""

    history: list[float] = field(default_factory=list)
    seconds: float = 0.0
    samples_per_second: float = 0.0


def total_steps(config: TrainConfig, inputs: np.ndarray) -> int:
    """Optimiser steps of a run: ``iterations`` (``large_set_iterations`` above LARGE_SET_VALUES values), else
    epochs × full batches per pass."""
    if config.iterations is not None:
        large = config.large_set_iterations is not None and inputs.size > LARGE_SET_VALUES
        return config.large_set_iterations if large else config.iterations
    return config.epochs * max(1, len(inputs) // config.batch_size)


def _optimizer(objective: Objective, config: TrainConfig) -> torch.optim.Optimizer:
    no_decay = objective.excluded_from_weight_decay()
    decay = [p for n, p in objective.named_parameters() if p.requires_grad and n not in no_decay]
    plain = [p for n, p in objective.named_parameters() if p.requires_grad and n in no_decay]
    groups = [{"params": decay, "weight_decay": config.weight_decay}]
    if plain:
        groups.append({"params": plain, "weight_decay": 0.0})
    return torch.optim.AdamW(groups, lr=config.learning_rate)


def iterate_batches(
    inputs: np.ndarray,
    labels: np.ndarray | None,
    bank: np.ndarray | None,
    n_views: int,
    batch_size: int,
    generator: np.random.Generator,
) -> Iterator[Batch]:
    """Shuffled batches; for each example ``n_views`` distinct views are drawn from its bank row.

    The last partial batch is dropped when the data has more than one batch (BatchNorm and contrastive
    losses need full batches).
    """
    n_examples = len(inputs)
    order = generator.permutation(n_examples)
    n_batches = max(1, n_examples // batch_size)
    for start in range(0, n_batches * batch_size, batch_size):
        index = np.sort(order[start:start + batch_size])
        views = None
        if n_views and bank is not None:
            bank_views = bank.shape[1]
            if n_views > bank_views:
                raise ValueError(f"objective needs {n_views} views but the bank holds {bank_views}")
            choice = np.argsort(generator.random((len(index), bank_views)), axis=1)[:, :n_views]
            rows = np.asarray(bank[index])
            views = torch.from_numpy(np.take_along_axis(rows, choice.reshape(*choice.shape, *([1] * (rows.ndim - 2))), axis=1))
        yield Batch(
            inputs=torch.from_numpy(np.ascontiguousarray(inputs[index])),
            views=views,
            labels=None if labels is None else torch.from_numpy(labels[index]),
        )


def pretrain(
    objective: Objective,
    inputs: np.ndarray,
    config: TrainConfig,
    seed: int,
    labels: np.ndarray | None = None,
    bank: np.ndarray | None = None,
    device: torch.device | None = None,
    on_epoch: Callable[[int, float], None] | None = None,
) -> TrainResult:
    """Train ``objective`` (encoder and scaffolding) on ``inputs``; raise DivergedError on a non-finite loss."""
    device = device or default_device()
    generator = np.random.default_rng(seed)
    objective.generator = torch.Generator(device=device).manual_seed(seed)
    objective.to(device).train()
    optimizer = _optimizer(objective, config)
    steps = total_steps(config, inputs)
    objective.start_training(steps)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: 0.5 * (1 + math.cos(math.pi * step / steps)) if config.cosine_schedule else 1.0
    )
    train_labels = labels if objective.needs_labels else None
    result = TrainResult()
    seen = 0
    started = time.perf_counter()
    done, epoch = 0, 0
    while done < steps:
        total, count = 0.0, 0
        for batch in iterate_batches(inputs, train_labels, bank, objective.n_views, config.batch_size, generator):
            if done == steps:
                break
            loss = objective(batch.to(device))
            if not torch.isfinite(loss):
                raise DivergedError(f"loss became {loss.item()} at epoch {epoch + 1}")
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            objective.after_step()
            done += 1
            total += loss.item() * len(batch.inputs)
            count += len(batch.inputs)
        seen += count
        epoch += 1
        result.history.append(total / count)
        if on_epoch is not None:
            on_epoch(epoch, result.history[-1])
    result.seconds = time.perf_counter() - started
    result.samples_per_second = seen / result.seconds if result.seconds > 0 else 0.0
    objective.eval()
    return result


