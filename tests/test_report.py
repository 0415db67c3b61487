"""The comparison report, built from a synthetic store (no flow is run): valid offline HTML, the marks and
rules it states, ranks, trend verdicts, published references, EYM, collapse and failure tables."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sslbench.results.report import build_report
from sslbench.results.report_stats import average_ranks, block_ranks, same_as_best, trend_verdict, welch_p
from sslbench.results.report_tables import rank_frame, trend_frame
from sslbench.results.store import write_rows

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SEED_OFFSETS = (-0.002, 0.0, 0.002)
FAMILIES = {
    "autoencoder": "autoencoding",
    "simclr": "contrastive",
    "vicreg": "non-contrastive",
    "raw": "baseline",
    "pca": "baseline",
    "random": "baseline",
    "supervised": "supervised",
}
# Mean linear probe accuracy of the newer run per (dataset, encoder, objective); '' = encoder-free baseline.
NEW_MEANS = {
    ("digits", "mlp", "autoencoder"): 0.85,
    ("digits", "mlp", "simclr"): 0.95,
    ("digits", "mlp", "vicreg"): 0.949,
    ("digits", "mlp", "random"): 0.80,
    ("digits", "mlp", "supervised"): 0.93,
    ("digits", "cnn", "autoencoder"): 0.88,
    ("digits", "cnn", "simclr"): 0.92,
    ("digits", "cnn", "vicreg"): 0.90,
    ("digits", "cnn", "random"): 0.78,
    ("digits", "cnn", "supervised"): 0.94,
    ("digits", "", "raw"): 0.91,
    ("digits", "", "pca"): 0.905,
    ("gunpoint", "mlp", "autoencoder"): 0.85,
    ("gunpoint", "mlp", "simclr"): 0.88,
    ("gunpoint", "mlp", "vicreg"): 0.86,
    ("gunpoint", "mlp", "random"): 0.75,
    ("gunpoint", "mlp", "supervised"): 0.90,
    ("gunpoint", "cnn", "autoencoder"): 0.84,
    ("gunpoint", "cnn", "simclr"): 0.87,
    ("gunpoint", "cnn", "vicreg"): 0.70,
    ("gunpoint", "cnn", "random"): 0.74,
    ("gunpoint", "cnn", "supervised"): 0.89,
    ("gunpoint", "", "raw"): 0.83,
    ("gunpoint", "", "pca"): 0.82,
}
REGRESSION = ("digits", "mlp", "autoencoder")  # 0.90 before, 0.85 now
IMPROVEMENT = ("gunpoint", "mlp", "simclr")  # 0.80 before, 0.88 now
OLD_MEANS = {key: mean + 0.0005 for key, mean in NEW_MEANS.items()} | {REGRESSION: 0.90, IMPROVEMENT: 0.80}
START = datetime(2026, 11, 1, tzinfo=UTC)


def _write_run(
    root: Path, run_id: str, suite: str, started: datetime, means: dict, seeds=(0, 1, 2), extras: bool = False
) -> None:
    """Every job of ``means`` for ``seeds``; with ``extras`` also a failed job, a collapsed job and EYM metrics."""
    tables: dict[str, list[dict]] = {"jobs": [], "metrics": [], "history": []}
    for (dataset, encoder, objective), mean in means.items():
        for seed in seeds:
            job_id = f"{run_id}-{dataset}-{encoder or 'none'}-{objective}-{seed}"
            value = mean + (SEED_OFFSETS[seed] if len(seeds) > 1 else 0.0)
            collapsed = extras and (dataset, encoder, objective, seed) == ("gunpoint", "cnn", "vicreg", 1)
            squeezed = extras and (dataset, encoder, objective, seed) == ("digits", "mlp", "simclr", 2)
            metrics = {
                "linear_acc": value,
                "knn_acc": value - 0.01,
                "kmeans_nmi": value - 0.2,
                "kmeans_ari": value - 0.3,
                **({"svm_acc": value + 0.01} if dataset == "gunpoint" else {}),
                "collapsed": float(collapsed),
                "embedding_collapsed": float(collapsed),
                "embedding_std": 0.03 if collapsed else 0.9,
                "effective_rank": 1.2 if collapsed else 20.0,
            }
            if squeezed:
                metrics |= {
                    "collapsed": 1.0,
                    "projection_embedding_std": 0.5,
                    "projection_effective_rank": 4.0,
                    "projection_rank_ratio": 0.2,
                    "projection_collapsed": 0.0,
                    "dimensional_collapse": 1.0,
                }
            if collapsed:
                metrics |= {
                    "projection_embedding_std": 0.004,
                    "projection_effective_rank": 1.05,
                    "projection_rank_ratio": 0.875,
                }
            if extras and (dataset, encoder, objective) == ("digits", "mlp", "autoencoder"):
                metrics |= {"pca_max_angle_deg": 1.5 + seed, "reconstruction_mse": 0.0101, "pca_optimal_mse": 0.0100}
            tables["metrics"] += [
                {"job_id": job_id, "metric": m, "split": "test", "value": v} for m, v in metrics.items()
            ]
            if encoder and objective != "random":
                tables["history"] += [{"job_id": job_id, "epoch": e, "loss": 1.0 / e + seed * 0.01} for e in (1, 2, 3)]
            tables["jobs"].append(
                {
                    "job_id": job_id,
                    "dataset": dataset,
                    "encoder": encoder,
                    "objective": objective,
                    "family": FAMILIES[objective],
                    "seed": seed,
                    "status": "ok",
                }
            )
    if extras:
        tables["jobs"].append(
            {
                "job_id": f"{run_id}-failed",
                "dataset": "gunpoint",
                "encoder": "cnn",
                "objective": "simclr",
                "family": "contrastive",
                "seed": 3,
                "status": "failed",
                "error": "RuntimeError: synthetic failure",
            }
        )
    for table, rows in tables.items():
        write_rows(root, table, run_id, rows, part="all")
    write_rows(
        root,
        "runs",
        run_id,
        [
            {
                "suite": suite,
                "status": "partial" if extras else "ok",
                "started": started,
                "finished": started + timedelta(minutes=5),
                "n_jobs": len(tables["jobs"]),
                "n_failed": int(extras),
                "device": "cpu",
                "git_sha": "abc",
            }
        ],
        part="run",
    )


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("store")
    _write_run(root, "r-old", "grid", START, OLD_MEANS)
    _write_run(root, "r-other", "other", START + timedelta(days=1), {("digits", "mlp", "simclr"): 0.5})
    _write_run(root, "r-new", "grid", START + timedelta(days=2), NEW_MEANS, extras=True)
    return root


@pytest.fixture(scope="module")
def report(store: Path) -> Path:
    return build_report(store, "r-new")


class _Checker(HTMLParser):
    """Checks that every non-void element is closed in order, and collects the attributes that load resources."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.resources: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href", "srcset", "data", "poster"):
                self.resources.append((tag, name, value or ""))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
        else:
            self.stack.pop()


def _section(markdown: str, title: str) -> str:
    """The Markdown under heading ``title`` up to the next heading of the same or a higher level."""
    match = re.search(rf"^(#+) {re.escape(title)}$", markdown, flags=re.M)
    assert match, f"no section '{title}'"
    body = markdown[match.end() :]
    following = re.search(rf"^#{{1,{len(match.group(1))}}} ", body, flags=re.M)
    return body[: following.start()] if following else body


def _table_rows(block: str) -> dict[str, list[str]]:
    """First cell → the other cells of each body row of the first Markdown table in ``block``."""
    lines = block.splitlines()
    rows = {}
    for previous, line in zip([""] + lines, lines):
        if previous.startswith("|---") or (line.startswith("| ") and rows):
            cells = [c.strip() for c in line.strip("|").split(" | ")]
            rows.setdefault(cells[0], cells[1:])
        elif rows and not line.startswith("| "):
            break
    return rows


def test_html_is_well_formed_offline_and_its_images_are_pngs(report: Path) -> None:
    page = (report / "index.html").read_text(encoding="utf-8")
    checker = _Checker()
    checker.feed(page)
    checker.close()
    assert not checker.errors and not checker.stack, (checker.errors, checker.stack)
    images = [value for tag, name, value in checker.resources if tag == "img"]
    assert len(images) >= 5  # rank plot, and a bar and a loss plot per dataset
    for source in images:
        path = report / source
        assert path.parent == report and path.read_bytes().startswith(PNG_SIGNATURE), source
    for tag, name, value in checker.resources:
        assert not value.startswith(("http:", "https:", "//")), (tag, name, value)
        assert tag != "script" and tag != "link", (tag, name, value)
    assert not re.search(r"https?://|url\(|@import|<script", page)


def test_best_per_column_is_bold_and_entries_within_noise_of_it_are_marked(report: Path) -> None:
    markdown = (report / "report.md").read_text(encoding="utf-8")
    digits = _section(markdown, "Dataset digits")
    rows = _table_rows(_section(digits, "Linear probe accuracy"))
    columns = ["cnn", "mlp"]
    mlp = columns.index("mlp")
    assert rows["simclr"][mlp] == "**0.950 ± 0.002**"
    assert rows["vicreg"][mlp].endswith("≈") and "**" not in rows["vicreg"][mlp]  # 0.949: p ≈ 0.6
    assert "≈" not in rows["autoencoder"][mlp]  # 0.85: far below
    cnn = columns.index("cnn")
    assert rows["supervised (baseline)"][cnn] == "0.940 ± 0.002"  # a baseline: never bold
    assert rows["simclr"][cnn] == "**0.920 ± 0.002**"  # the best SSL entry
    assert rows["raw (baseline)"] == ["0.910 ± 0.002"] * 2  # encoder-free fills both
    assert "Welch t-test" in digits and "p ≥ 0.05" in digits
    intervals = _table_rows(_section(digits, "Linear probe accuracy: 95 % intervals"))
    low, high = map(float, intervals["simclr"][mlp].strip("[]").split(", "))
    assert low < 0.95 < high and high - low == pytest.approx(2 * 4.303 * 0.002 / np.sqrt(3), abs=2e-3)


def test_rule_for_small_samples_and_single_seeds() -> None:
    assert same_as_best([0.90, 0.91, 0.92], [0.80, 0.81, 0.82]) is False
    assert same_as_best([0.90, 0.91, 0.92], [0.905, 0.91, 0.915]) is True
    assert same_as_best([0.90, 0.91], [0.905, 0.915]) is True  # 2 seeds: overlapping intervals
    assert same_as_best([0.900, 0.901], [0.800, 0.801]) is False
    assert same_as_best([0.9], [0.8, 0.81]) is None  # a single seed: no test


def test_single_seed_report_says_no_test_is_possible(tmp_path: Path) -> None:
    means = {key: mean for key, mean in NEW_MEANS.items() if key[0] == "digits"}
    _write_run(tmp_path, "r-one", "grid", START, means, seeds=(0,))
    markdown = (build_report(tmp_path, "r-one") / "report.md").read_text(encoding="utf-8")
    assert "single seed, so no test is possible" in markdown and "≈" not in markdown
    assert "95 % intervals" not in markdown


def test_average_ranks_on_a_hand_made_example() -> None:
    rows = [
        ("d1", "mlp", "a", 0.9),
        ("d1", "mlp", "b", 0.8),
        ("d1", "", "raw", 0.7),
        ("d2", "mlp", "a", 0.6),
        ("d2", "mlp", "b", 0.8),
        ("d2", "", "raw", 0.7),
        ("d2", "cnn", "a", 0.5),
        ("d2", "cnn", "b", 0.5),
    ]
    df = pd.DataFrame(
        [
            {
                "dataset": d,
                "encoder": e,
                "objective": o,
                "family": "baseline" if o == "raw" else "contrastive",
                "metric": "linear_acc",
                "value": v,
            }
            for d, e, o, v in rows
        ]
    )
    ranks = rank_frame(df).set_index("objective")
    # blocks: (d1, mlp) a1 b2 raw3; (d2, mlp) b1 raw2 a3; (d2, cnn) raw1 a2.5 b2.5
    assert ranks.loc["a", "average_rank"] == pytest.approx((1 + 3 + 2.5) / 3)
    assert ranks.loc["b", "average_rank"] == pytest.approx((2 + 1 + 2.5) / 3)
    assert ranks.loc["raw", "average_rank"] == pytest.approx((3 + 2 + 1) / 3)
    assert ranks.loc["raw", "blocks"] == 3 and ranks.loc["a", "firsts"] == 1 and ranks.attrs["n_blocks"] == 3
    ranked = block_ranks(
        pd.DataFrame({"block": [1, 1, 1], "objective": ["x", "y", "z"], "mean": [0.5, 0.9, 0.5]}), ["block"]
    )
    assert average_ranks(ranked, ["block"]).set_index("objective")["average_rank"].to_dict() == {
        "y": 1.0,
        "x": 2.5,
        "z": 2.5,
    }


def test_report_ranks_every_objective_and_answers_the_family_question(report: Path) -> None:
    markdown = (report / "report.md").read_text(encoding="utf-8")
    ranks = _table_rows(_section(markdown, "Average rank across datasets and encoders"))
    assert set(ranks) == {
        "autoencoder",
        "simclr",
        "vicreg",
        "raw (baseline)",
        "pca (baseline)",
        "random (baseline)",
        "supervised (baseline)",
    }
    assert all(row[3] == "4" for row in ranks.values())  # 2 datasets × 2 encoders
    assert "Nemenyi critical difference" in markdown
    family = _section(markdown, "Clustering by objective family")
    assert "cluster better than autoencoders? **Yes**" in family and "on 2 of 2 datasets" in family
    assert _table_rows(family)["digits"][0] == "k-means NMI"


def test_trend_flags_a_constructed_change_and_not_noise(store: Path, report: Path) -> None:
    from sslbench import results

    trend = trend_frame(results.load(store, run_id="r-old"), results.load(store, run_id="r-new")).set_index(
        ["dataset", "encoder", "objective"]
    )["verdict"]
    assert trend[REGRESSION] == "regression" and trend[IMPROVEMENT] == "improvement"
    assert (trend.drop([REGRESSION, IMPROVEMENT]) == "within noise").all() and len(trend) == len(NEW_MEANS)
    section = _section((report / "report.md").read_text(encoding="utf-8"), "Trend against the previous run")
    assert "r-old" in section and "r-other" not in section and "1 regression(s), 1 improvement(s)" in section
    assert "|Δ| > 0.02" in section
    assert trend_verdict([0.90], [0.85]) == ("regression", pytest.approx(float("nan"), nan_ok=True))
    assert trend_verdict([0.90], [0.89])[0] == "within noise"


def test_published_references_appear_with_their_source(report: Path) -> None:
    markdown = (report / "report.md").read_text(encoding="utf-8")
    gunpoint = _section(markdown, "Dataset gunpoint")
    rows = _table_rows(_section(gunpoint, "kNN accuracy: published reference figures"))
    label = "1-NN Euclidean, raw series (published)"
    assert (
        rows[label][0] == "0.913"
        and "UCR Time Series Archive" in rows[label][1]
        and "Dau et al. 2019" in rows[label][1]
    )
    ts2vec = _table_rows(
        _section(gunpoint, "TS2Vec protocol accuracy (RBF SVM, C searched on train): published reference figures")
    )
    label = "TS2Vec, RBF SVM on frozen representations (via copies) (published)"
    assert (
        ts2vec[label][0] == "0.980"
        and "Yue et al. 2022" in ts2vec[label][1]
        and "not read from the paper" in ts2vec[label][1]
    )
    t_loss = "T-Loss (K=10), RBF SVM on frozen representations (published)"
    assert ts2vec[t_loss][0] == "0.980" and "results_ucr.csv, column 'Ours (10)'" in ts2vec[t_loss][1]
    assert "published reference figures" not in _section(markdown, "Dataset digits")
    side_by_side = _table_rows(_section(markdown, "Best self-supervised result beside published figures"))
    assert list(side_by_side) == ["gunpoint"]  # digits has no published figure
    # linear probe: best, configuration, selected on, seeds, raw; SVM protocol: the same; raw kNN; published figures
    on_test = "test (no validation score)"  # this synthetic run stores no validation scores
    assert side_by_side["gunpoint"][:5] == ["0.880 ± 0.002", "simclr · mlp", on_test, "3", "0.830"]
    assert side_by_side["gunpoint"][5:11] == ["0.890 ± 0.002", "simclr · mlp", on_test, "3", "0.840", "0.820"]
    assert side_by_side["gunpoint"][11:16] == ["1.000", "0.913", "0.907", "0.980", "0.980"]  # ROCKET first
    rocket = _table_rows(_section(gunpoint, "Linear probe accuracy: published reference figures"))
    label = "ROCKET (10 000 random kernels, ridge classifier), raw series, supervised (published)"
    assert rocket[label][0] == "1.000" and "angus924/rocket, results/results_ucr.csv" in rocket[label][1]
    assert 'class="reference"' in (report / "index.html").read_text(encoding="utf-8")


def test_eym_collapse_and_failure_tables(report: Path) -> None:
    markdown = (report / "report.md").read_text(encoding="utf-8")
    eym = _table_rows(_section(_section(markdown, "Dataset digits"), "Linear autoencoder vs PCA (Eckart–Young–Mirsky)"))
    assert eym["mlp"][:3] == ["autoencoder", "0", "1.50"] and eym["mlp"][-1] == "1.010"
    assert "Eckart" not in _section(markdown, "Dataset gunpoint")
    collapse = _table_rows(_section(markdown, "Collapse flags"))
    assert collapse["gunpoint"] == [
        "cnn",
        "vicreg",
        "1",
        "complete (embedding)",
        "0.030",
        "1.20",
        "0.004",
        "1.05",
        "0.88",
    ]
    assert collapse["digits"] == [
        "mlp",
        "simclr",
        "2",
        "dimensional (projector)",
        "0.900",
        "20.00",
        "0.500",
        "4.00",
        "0.20",
    ]
    failures = _table_rows(_section(markdown, "Failures"))
    assert failures["gunpoint"][3:] == ["failed", "RuntimeError: synthetic failure"]


def test_headless_browser_renders_the_report(report: Path, tmp_path: Path) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("no chromium or chromium-browser on PATH for a headless screenshot")
    shot = tmp_path / "report.png"
    subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            f"--screenshot={shot}",
            "--window-size=1200,3000",
            (report / "index.html").resolve().as_uri(),
        ],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert shot.exists() and shot.stat().st_size > 20_000 and shot.read_bytes().startswith(PNG_SIGNATURE)


def test_welch_p_matches_scipy_and_is_silent_when_a_side_has_no_spread() -> None:
    import warnings

    from scipy import stats

    a, b = [0.91, 0.93, 0.92, 0.95], [0.88, 0.90, 0.87]
    assert welch_p(a, b) == pytest.approx(stats.ttest_ind(a, b, equal_var=False).pvalue, rel=1e-9)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # scipy warns of catastrophic cancellation here
        constant = [6 / 7] * 3
        assert welch_p(constant, [0.5, 0.6, 0.7]) == pytest.approx(
            2 * stats.t.sf((6 / 7 - 0.6) / np.sqrt(0.01 / 3), 2), rel=1e-9
        )
        assert welch_p(constant, [6 / 7, 6 / 7, 6 / 7 + 1e-16]) == 1.0


def test_kalman_section_averages_seeds_and_leaves_missing_metrics_blank() -> None:
    from sslbench.results.report_tables import declared_table
    from sslbench.ssl_models.lds.evaluate import KALMAN_SECTION

    def kalman_table(frame: pd.DataFrame):  # noqa: ANN202
        return declared_table(frame, KALMAN_SECTION)

    rows = [
        ("ssm", "next_step", seed, metric, value)
        for seed, ratio in ((0, 1.04), (1, 1.06))
        for metric, value in (
            ("next_step_mse", 0.37 * ratio),
            ("kalman_next_step_mse", 0.37),
            ("next_step_mse_ratio", ratio),
            ("state_r2", 0.70 + seed / 100),
            ("kalman_state_r2", 0.75),
        )
    ]
    rows += [
        ("gru", "random", 0, "state_r2", 0.74),
        ("gru", "random", 0, "kalman_state_r2", 0.75),
        ("gru", "random", 0, "linear_acc", 0.9),
    ]
    df = pd.DataFrame(rows, columns=["encoder", "objective", "seed", "metric", "value"])
    table = {tuple(r[:2]): r[2:] for r in kalman_table(df).rows}
    assert table[("ssm", "next_step")] == ["2", "0.3885", "0.3700", "1.050", "0.705", "0.750"]
    assert table[("gru", "random")] == ["1", "—", "—", "—", "0.740", "0.750"]
    assert kalman_table(df[~df["metric"].str.contains("r2|mse")]) is None


def test_archive_average_is_compared_only_when_a_configuration_covers_the_archive() -> None:
    from sslbench.results.report_tables import archive_average_table

    archive = [f"Set{i}" for i in range(125)]
    rows = [
        {
            "dataset": f"ucr:{name}",
            "objective": "ts2vec",
            "encoder": "ts2vec",
            "family": "contrastive",
            "metric": "svm_acc",
            "value": 0.8 + 0.1 * seed,
        }
        for name in archive[:120]
        for seed in (0, 1)
    ]
    rows += [
        {
            "dataset": "ucr:Set0",
            "objective": "raw",
            "encoder": "",
            "family": "baseline",
            "metric": "svm_acc",
            "value": 0.1,
        }
    ]
    table = archive_average_table(pd.DataFrame(rows), {"UCR": archive, "UEA": ["Other"]})
    assert table is not None and len(table.rows) == 1
    assert table.rows[0][:5] == ["UCR", "ts2vec · ts2vec", "120", "0.850", "0.830 (125 sets)"]
    few = pd.DataFrame([row for row in rows if row["dataset"] in {f"ucr:Set{i}" for i in range(100)}])
    assert archive_average_table(few, {"UCR": archive}) is None  # 100 of 125 sets: under 90 %


def test_markdown_shows_hostile_html_in_names_as_text() -> None:
    from sslbench.results.report_render import Section, markdown

    name = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    text = markdown([Section(title=name, text=f"best on {name}", header=["dataset"], rows=[[name]], notes=[name])])
    assert not re.search(r"(?<!\\)<[a-z/]", text)  # every '<' is escaped: no tag a Markdown viewer would render
    assert text.count("\\<script>") == 4
