"""The augmentation/bank performance benchmark runs end to end and reports what it promises."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sslbench.benchmarks.perf.augment_bank import OnTheFlyViews, main


def test_on_the_fly_views_look_like_a_bank_row_and_change_every_draw() -> None:
    inputs = np.random.default_rng(0).standard_normal((10, 2, 32)).astype(np.float32)
    views = OnTheFlyViews(inputs, "sequence", n_views=2, seed=0)
    first, second = views[np.array([1, 4, 7])], views[np.array([1, 4, 7])]
    assert views.shape == (10, 2, 2, 32) and first.shape == (3, 2, 2, 32)
    assert not np.array_equal(first, second) and not np.array_equal(first[:, 0], first[:, 1])


@pytest.mark.slow
def test_quick_benchmark_writes_every_measurement(tmp_path: Path) -> None:
    out = tmp_path / "augment_bank.json"
    measured = main(["--quick", "--skip-memory", "--repeats", "1", "--threads", "1", "--out", str(out)])
    assert json.loads(out.read_text()) == pytest.approx(measured)
    for modality in ("image", "sequence", "graph"):
        assert measured[f"generate_{modality}_views_per_s"] > 0
    for modality in ("image", "sequence"):
        assert measured[f"pretrain_{modality}_data_ratio"] < 1.0
