"""One metric value's name: metric, split, label fraction and draw, packed into the key of a metrics dict.

Evaluators return ``{key: value}`` (JSON-cacheable); the results layer unpacks each key into the metrics
table's ``metric``, ``split``, ``label_fraction`` and ``label_draw`` columns, and adds ``selected_on``:

    "linear_acc"                           → linear_acc on test, every training label "linear_acc/validation"
    → linear_acc on the validation part (probe fitted on the rest of train)
    "label_linear_acc/labels=0.01/draw=2"  → on test, probe fitted on draw 2 of 1 % of the training labels
"""

from __future__ import annotations

from dataclasses import dataclass

SPLITS = ("test", "validation")
# What each probe metric's setting was chosen on; every other metric selects nothing (fixed by the suite).
CV_ON_TRAIN = "cv-train"
EPOCH_ON_VALIDATION = "validation-epoch"
CV_ON_WHOLE_SET = "cv-whole-set"
NOTHING_SELECTED = "none"
SELECTED_ON = {
    "linear_acc": CV_ON_TRAIN,
    "linear_c": CV_ON_TRAIN,
    "label_linear_acc": CV_ON_TRAIN,
    "label_linear_c": CV_ON_TRAIN,
    "svm_acc": CV_ON_TRAIN,
    "svm_c": CV_ON_TRAIN,
    "finetune_acc": EPOCH_ON_VALIDATION,
    "finetune_epoch": EPOCH_ON_VALIDATION,
    "label_finetune_acc": EPOCH_ON_VALIDATION,
    "label_finetune_epoch": EPOCH_ON_VALIDATION,
    "graph_svm_acc": CV_ON_WHOLE_SET,
    "graph_svm_acc_std": CV_ON_WHOLE_SET,
}
SELECTED_ON_MEANING = {
    CV_ON_TRAIN: "the probe's C chosen by stratified cross-validation inside the labels it was fitted on",
    EPOCH_ON_VALIDATION: "the fine-tuning epoch chosen on the validation part, without the rows fine-tuned on (the "
    "head starts from the linear probe, C by cross-validation inside the labels fine-tuned on)",
    CV_ON_WHOLE_SET: "outer cross-validation over train ∪ test, the SVM's C by inner cross-validation on each "
    "outer fold's training part (the InfoGraph/GraphCL protocol; never used for selection)",
    NOTHING_SELECTED: "nothing selected: every setting is fixed by the suite",
}


@dataclass(frozen=True)
class MetricName:
    """A metric value's identity; ``label_fraction``/``label_draw`` are None for a fit on every training
    label."""

    metric: str
    split: str = "test"
    label_fraction: float | None = None
    label_draw: int | None = None

    def __post_init__(self) -> None:
        if self.split not in SPLITS:
            raise ValueError(f"unknown split '{self.split}'; valid splits: {', '.join(SPLITS)}")
        if "/" in self.metric or not self.metric:
            raise ValueError(f"a metric name must be non-empty and free of '/', got {self.metric!r}")

    def key(self) -> str:
        """The dict key: ``metric[/validation][/labels=F/draw=D]``."""
        parts = [self.metric] + ([self.split] if self.split != "test" else [])
        if self.label_fraction is not None:
            parts += [f"labels={self.label_fraction:g}", f"draw={self.label_draw or 0}"]
        return "/".join(parts)

    @property
    def selected_on(self) -> str:
        """What the value's probe setting was chosen on (``SELECTED_ON_MEANING``)."""
        return SELECTED_ON.get(self.metric, NOTHING_SELECTED)

    @classmethod
    def parse(cls, key: str) -> MetricName:
        """Inverse of :meth:`key`."""
        metric, *rest = key.split("/")
        split, fraction, draw = "test", None, None
        for part in rest:
            if part.startswith("labels="):
                fraction = float(part.removeprefix("labels="))
            elif part.startswith("draw="):
                draw = int(part.removeprefix("draw="))
            else:
                split = part
        return cls(metric, split, fraction, draw)
