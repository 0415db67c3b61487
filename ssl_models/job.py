"""``JobSpec``: one job of a grid as plain data; every layer (planner, tasks, flows, report) may import it."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sslbench.ssl_models.baselines import BASELINES
from sslbench.ssl_models.configs import FinetuneConfig, ProbeConfig, TrainConfig
from sslbench.ssl_models.files import json_sha256

# Bump when a job's code changes its results, so that equal configurations stop sharing cached artefacts.
CODE_VERSION = "1"


@dataclass(frozen=True)
class JobSpec:
    """Everything one job needs, as plain data (small, hashable by content, JSON-able).

    ``objective_name`` is the registered objective that builds the encoder ('' for an encoder-free baseline);
    ``baseline`` the registered baseline the job runs ('' for an objective's job).
    """

    dataset: str
    modality: str
    seed: int
    encoder: str
    encoder_name: str
    objective: str
    objective_name: str
    family: str
    embedding_dim: int
    train: TrainConfig
    probe: ProbeConfig
    test_fraction: float
    augmentation: str | None = None
    augmentation_options: Mapping[str, Any] = field(default_factory=dict)
    n_views: int = 0
    encoder_options: Mapping[str, Any] = field(default_factory=dict)
    objective_options: Mapping[str, Any] = field(default_factory=dict)
    data_file: str | None = None
    data_shape: tuple[int, ...] | None = None
    dataset_options: Mapping[str, Any] = field(default_factory=dict)
    baseline: str = ""
    # A baseline that trains on labels, on draw ``label_draw`` of ``label_fraction`` of them (1 = every label).
    label_fraction: float = 1.0
    label_draw: int = 0
    # The on-request ``finetune`` evaluator's settings (a suite's ``[finetune]``); None: not fine-tuned.
    finetune: FinetuneConfig | None = None
    # A tuning trial pretrains without the validation rows, so that its validation score, like a job's test score,
    # is measured on examples its encoder never saw (``tasks.pretrain._training_rows``).
    exclude_validation: bool = False

    @property
    def uses_encoder(self) -> bool:
        """True when the job has an encoder (pretrained, or only initialised, as for the random baseline)."""
        return bool(self.encoder_name)

    @property
    def trains(self) -> bool:
        """True when the job's objective is trained (every objective's job; a baseline that declares
        ``trains``)."""
        return self.uses_encoder and (not self.baseline or BASELINES.get(self.baseline).trains)

    def requested_evaluators(self) -> dict[str, Any]:
        """The on-request evaluators the job asks for, by name, with their settings."""
        return {"finetune": self.finetune} if self.finetune is not None else {}

    def config(self) -> dict[str, Any]:
        """The job's full configuration as JSON-able data (stored in the jobs table); a job without fine-tuning,
        or that pretrains on every training row, keeps the configuration, hence the key, it had before those
        options existed."""
        config = json.loads(json.dumps(dataclasses.asdict(self), default=list))
        if self.finetune is None:
            del config["finetune"]
        if not self.exclude_validation:
            del config["exclude_validation"]
        return config

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> JobSpec:
        """The job whose ``config()`` is ``config`` (e.g. a row's stored JSON): ``JobSpec.from_config(job.config())
        == job``, so a stored job (a tuned configuration) can be run again."""
        fields = dict(config)
        probe: dict[str, Any] = {
            key: tuple(value) if isinstance(value, list) else value for key, value in fields["probe"].items()
        }
        fields.update(train=TrainConfig(**fields["train"]), probe=ProbeConfig(**probe))
        if fields.get("finetune") is not None:
            fields["finetune"] = FinetuneConfig(**fields["finetune"])
        if fields.get("data_shape") is not None:
            fields["data_shape"] = tuple(fields["data_shape"])
        return cls(**fields)

    def key(self) -> str:
        """Content hash of the configuration and code version: equal keys give equal results."""
        return json_sha256({"config": self.config(), "code": CODE_VERSION})[:16]

    def label(self) -> str:
        """Short human-readable name, e.g. ``mnist5k · cnn · simclr · seed 0``."""
        parts = [self.dataset] + ([self.encoder] if self.encoder else []) + [self.objective, f"seed {self.seed}"]
        if self.label_fraction < 1:
            parts.append(f"{self.label_fraction:.0%} labels, draw {self.label_draw}")
        return " · ".join(parts)
