"""The pretraining loop: shuffled mini-batches of clean inputs and bank views, AdamW, cosine schedule.

The budget is ``epochs`` passes over the training set, or, when ``iterations`` is set, exactly that many optimiser
steps (passes repeat, the last one cut short), as TS2Vec trains: 200 iterations, or ``large_set_iterations`` (600)
when the training set holds over ``LARGE_SET_VALUES`` = 100 000 values (N·C·T).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np
import torch
from sslbench.ssl_models.augment.views import DEFAULT_GROUP
from sslbench.ssl_models.configs import TrainConfig
from sslbench.ssl_models.device import default_device
from sslbench.ssl_models.host_tensors import host_tensor, release_mapped_pages
from sslbench.ssl_models.objectives.base import Batch, Objective
from sslbench.ssl_models.stop import check_stop

LARGE_SET_VALUES = 100_000


class DivergedError(RuntimeError):
    """The training loss became NaN or infinite."""


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
        if config.large_set_iterations is not None and inputs.size > LARGE_SET_VALUES:
            return config.large_set_iterations
        return config.iterations
    return config.epochs * max(1, len(inputs) // config.batch_size)


def _optimizer(objective: Objective, config: TrainConfig) -> torch.optim.Optimizer:
    no_decay = objective.excluded_from_weight_decay()
    decay = [p for n, p in objective.named_parameters() if p.requires_grad and n not in no_decay]
    plain = [p for n, p in objective.named_parameters() if p.requires_grad and n in no_decay]
    groups = [{"params": decay, "weight_decay": config.weight_decay}]
    if plain:
        groups.append({"params": plain, "weight_decay": 0.0})
    return torch.optim.AdamW(groups, lr=config.learning_rate)


Rows = np.ndarray | torch.Tensor


def _take(rows: Rows, index: np.ndarray) -> torch.Tensor:
    """``rows[index]`` as a tensor: NumPy arrays (memory-mapped banks) are read on the host; device tensors are
    indexed where they are, so data kept on a GPU never comes back."""
    if isinstance(rows, torch.Tensor):
        return rows[torch.from_numpy(index).to(rows.device)]
    taken = torch.from_numpy(np.ascontiguousarray(rows[index]))
    release_mapped_pages(rows)
    return taken


def iterate_batches(
    inputs: Rows,
    labels: Rows | None,
    bank: Rows | Mapping[str, Rows] | None,
    n_views: int | Mapping[str, int],
    batch_size: int,
    generator: np.random.Generator,
) -> Iterator[Batch]:
    """Shuffled batches; per example and view group, ``n_views`` distinct views are drawn from its bank row.

    ``bank`` is one bank (DEFAULT_GROUP, ``n_views`` an int) or a bank per group name (``n_views`` per group);
    groups draw in order. The last partial batch is dropped when the data has more than one batch (BatchNorm
    and contrastive losses need full batches).
    """
    banks = dict(bank) if isinstance(bank, Mapping) else ({} if bank is None else {DEFAULT_GROUP: bank})
    draws = dict(n_views) if isinstance(n_views, Mapping) else {DEFAULT_GROUP: n_views}
    n_examples = len(inputs)
    order = generator.permutation(n_examples)
    n_batches = max(1, n_examples // batch_size)
    for start in range(0, n_batches * batch_size, batch_size):
        index = np.sort(order[start : start + batch_size])
        groups = {
            name: _draw_views(group_bank, index, draws.get(name, 0), generator)
            for name, group_bank in banks.items()
            if draws.get(name, 0)
        }
        yield Batch(
            inputs=_take(inputs, index),
            views=groups.get(DEFAULT_GROUP),
            labels=None if labels is None else _take(labels, index),
            groups=groups,
        )


def _draw_views(bank: Rows, index: np.ndarray, n_views: int, generator: np.random.Generator) -> torch.Tensor:
    """``n_views`` distinct views, uniformly at random, of each example ``index`` from its bank row."""
    bank_views = bank.shape[1]
    if n_views > bank_views:
        raise ValueError(f"objective needs {n_views} views but the bank holds {bank_views}")
    choice = np.argsort(generator.random((len(index), bank_views)), axis=1)[:, :n_views]
    rows = _take(bank, index)
    picked = torch.from_numpy(choice).to(rows.device).reshape(*choice.shape, *([1] * (rows.ndim - 2)))
    return torch.take_along_dim(rows, picked, dim=1)


def to_device_once(array: np.ndarray | None, device: torch.device) -> Rows | None:
    """On an accelerator, the whole array copied to ``device`` once (from pinned memory on CUDA); on the CPU,
    unchanged.
    """
    if array is None or device.type == "cpu":
        return array
    host = host_tensor(array)
    return (host.pin_memory() if device.type == "cuda" else host).to(device)


def pretrain(
    objective: Objective,
    inputs: np.ndarray,
    config: TrainConfig,
    seed: int,
    labels: np.ndarray | None = None,
    bank: np.ndarray | Mapping[str, np.ndarray] | None = None,
    device: torch.device | None = None,
    on_epoch: Callable[[int, float], None] | None = None,
    n_views: Mapping[str, int] | None = None,
) -> TrainResult:
    """Train ``objective`` (encoder and scaffolding) on ``inputs``; raise DivergedError on a non-finite loss.

    ``bank`` is one bank of DEFAULT_GROUP views, or a bank per view group with ``n_views`` (views drawn per
    group and example); ``n_views`` defaults to ``objective.n_views`` of every group.
    """
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
    train_labels = to_device_once(labels if objective.needs_labels else None, device)
    banks = dict(bank) if isinstance(bank, Mapping) else ({} if bank is None else {DEFAULT_GROUP: bank})
    banks_on_device = {
        name: rows for name, group_bank in banks.items() if (rows := to_device_once(group_bank, device)) is not None
    }
    draws = dict(n_views) if n_views is not None else {name: objective.n_views for name in banks}
    inputs_on_device = to_device_once(inputs, device)
    assert inputs_on_device is not None  # inputs is an array, never None
    result = TrainResult()
    seen = 0
    started = time.perf_counter()
    done, epoch = 0, 0
    while done < steps:
        total, count = 0.0, 0
        batches = iterate_batches(inputs_on_device, train_labels, banks_on_device, draws, config.batch_size, generator)
        for batch in batches:
            if done == steps:
                break
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=config.precision == "bfloat16"):
                loss = objective(batch.to(device)).float()
            if not torch.isfinite(loss):
                raise DivergedError(f"loss became {loss.item()} at epoch {epoch + 1}")
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            objective.after_step()
            check_stop(f"training epoch {epoch + 1}")
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
