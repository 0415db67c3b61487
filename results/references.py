"""Published reference figures shown beside a run's results, each with its source.

``REFERENCES`` maps (dataset, metric) to figures taken from a publication, never measured here. A figure is
listed under the metric whose protocol it is closest to, and its label names the protocol where it differs
from ours (ours: cosine 5-NN on embeddings for ``knn_acc``; theirs below: 1-NN on the raw series).

The UCR figures are the archive's own 1-NN baselines on its official train/test split (the split sslbench's
UCR loaders use), from ``DataSummary.csv`` of the UCR Time Series Archive 2018, which lists error rates;
accuracy = 1 − error. Adding a figure is one entry: the dataset as registered (a ``ucr:`` prefix, case and
underscores do not matter), the metric, and (label, value, source).

The TS2Vec figures (Yue et al. 2022) are accuracies of an RBF SVM on TS2Vec's frozen representations, on the
same official splits: exactly our ``svm_acc`` protocol (``ssl_models.evaluate.svm_protocol``). The paper's appendix
table could not be read where these figures were collected; they come from two copies that agree on all three
datasets: Sun et al. 2024 (TEST, ICLR), Appendix Table 14, and a fork of the TS2Vec code that lists "baseline
results from the paper". Careful: in TEST's table these values sit under a column headed "TCN" (TS2Vec's encoder),
while its column headed "TS2Vec" holds other values (0.987 / 0.817 / 0.960 for GunPoint / ArrowHead /
ItalyPowerDemand), apparently a re-run; those are not the published figures. The label says the figures are copied.

The T-Loss figures (Franceschi, Dieuleveut & Jaggi 2019, NeurIPS) are the "Ours (10)" column (K = 10 negatives, an
RBF SVM on the frozen representations, the column TS2Vec's paper compares with: GunPoint 0.980, ArrowHead 0.766,
ItalyPowerDemand 0.954) of ``results_ucr.csv`` and ``results_uea.csv`` in the authors' repository
(White-Link/UnsupervisedScalableRepresentationLearningTimeSeries); its DTW column gives the 1-NN DTW anchor of the
UEA sets and of the UCR sets absent from the archive summary entries below.

The ROCKET figures (Dempster, Petitjean & Webb 2020) are a supervised, non-SSL anchor: 10 000 random convolutional
kernels on the raw series, a ridge classifier (cross-validated ridge penalty) on their features, official
train/test split, mean accuracy over 10 runs, from ``results/results_ucr.csv`` of the authors' repository
(angus924/rocket). Listed under the linear probe, the protocol closest to a linear classifier on untrained
features; the repository gives no UEA figures. TNC and TS-TCC figures are not listed: their only per-dataset source
for these sets is TS2Vec's appendix tables, which could not be read (no readable copy was found), so none is
verified.

The MUTAG and PROTEINS figures are accuracies under the InfoGraph/GraphCL protocol (an RBF SVM with C searched
by inner CV, 10-fold cross-validation over the whole set, mean ± std): exactly our ``graph_svm_acc``
(``ssl_models.evaluate.graph_svm_protocol``). They were read from the results table of the GraphMAE README
(THUDM/GraphMAE, "Graph classification (Accuracy, %)"), which lists InfoGraph (Sun et al. 2020, ICLR) and GraphCL
(You et al. 2020, NeurIPS) as published in their papers beside GraphMAE's own (Hou et al. 2022, KDD).
The InfoGraph and GraphCL papers themselves were not read where these were collected; the label says so.

``ARCHIVE_AVERAGES`` are TS2Vec's published mean accuracies over whole archives, compared with a run's mean when
its suite covers that archive (``archive_coverage``).
"""

from __future__ import annotations

from typing import NamedTuple


class Reference(NamedTuple):
    """One published figure: what it is, its value (and its published ± where there is one), where it was
    published."""

    label: str
    value: float
    source: str
    spread: float | None = None


_UCR_ARCHIVE = (
    "UCR Time Series Archive 2018, DataSummary.csv (Dau et al. 2019, IEEE/CAA J. Autom. Sinica 6(6):1293–1305)"
)


def _ucr_one_nn(euclidean_error: float, full_dtw_error: float) -> list[Reference]:
    return [
        Reference(
            "1-NN Euclidean, raw series",
            round(1 - euclidean_error, 4),
            f"{_UCR_ARCHIVE}: ED (w=0) error {euclidean_error}",
        ),
        Reference(
            "1-NN DTW, full window, raw series",
            round(1 - full_dtw_error, 4),
            f"{_UCR_ARCHIVE}: DTW (w=100) error {full_dtw_error}",
        ),
    ]


_TS2VEC = (
    "Yue et al. 2022, TS2Vec (AAAI), appendix table of full UCR results, column TS2Vec; copied from two "
    "concordant copies (Sun et al. 2024, TEST (ICLR), Appendix Table 14, column headed 'TCN'; a TS2Vec code "
    "fork's table of the paper's results), not read from the paper itself"
)


def _ts2vec(accuracy: float) -> list[Reference]:
    return [Reference("TS2Vec, RBF SVM on frozen representations (via copies)", accuracy, _TS2VEC)]


_T_LOSS = (
    "Franceschi et al. 2019, Unsupervised Scalable Representation Learning for Multivariate Time Series "
    "(NeurIPS), authors' repository White-Link/UnsupervisedScalableRepresentationLearningTimeSeries"
)


def _t_loss(accuracy: float, archive: str) -> list[Reference]:
    return [
        Reference(
            "T-Loss (K=10), RBF SVM on frozen representations",
            accuracy,
            f"{_T_LOSS}, results_{archive}.csv, column 'Ours (10)'",
        )
    ]


_ROCKET = (
    "Dempster, Petitjean & Webb 2020, ROCKET (Data Min. Knowl. Discov. 34:1454–1495), authors' repository "
    "angus924/rocket, results/results_ucr.csv, column accuracy_mean (10 runs)"
)


def _rocket(accuracy: float) -> list[Reference]:
    return [Reference("ROCKET (10 000 random kernels, ridge classifier), raw series, supervised", accuracy, _ROCKET)]


def _dtw(accuracy: float, archive: str) -> list[Reference]:
    return [Reference("1-NN DTW, raw series", accuracy, f"{_T_LOSS}, results_{archive}.csv, column 'DTW'")]


_GRAPHMAE_README = "THUDM/GraphMAE README.md, table 'Graph classification (Accuracy, %)'"
_GRAPH_PAPERS = {
    "InfoGraph": "Sun et al. 2020, InfoGraph (ICLR), as listed in the",
    "GraphCL": "You et al. 2020, GraphCL (NeurIPS), as listed in the",
    "GraphMAE": "Hou et al. 2022, GraphMAE (KDD), as listed in the authors'",
}


def _graph_protocol(method: str, percent: float, percent_std: float) -> Reference:
    """A figure of the InfoGraph/GraphCL SVM protocol, published in % as mean ± std."""
    copied = "" if method == "GraphMAE" else ", via GraphMAE's table"
    return Reference(
        f"{method}, RBF SVM, 10-fold CV (mean ± std{copied})",
        round(percent / 100, 4),
        f"{_GRAPH_PAPERS[method]} {_GRAPHMAE_README}: {percent:.2f} ± {percent_std:.2f} %",
        round(percent_std / 100, 4),
    )


REFERENCES: dict[tuple[str, str], list[Reference]] = {
    ("mutag", "graph_svm_acc"): [
        _graph_protocol("InfoGraph", 89.01, 1.13),
        _graph_protocol("GraphCL", 86.80, 1.34),
        _graph_protocol("GraphMAE", 88.19, 1.26),
    ],
    ("proteins", "graph_svm_acc"): [
        _graph_protocol("InfoGraph", 74.44, 0.31),
        _graph_protocol("GraphCL", 74.39, 0.45),
        _graph_protocol("GraphMAE", 75.30, 0.39),
    ],
    ("gunpoint", "knn_acc"): _ucr_one_nn(0.0867, 0.0933),
    ("arrowhead", "knn_acc"): _ucr_one_nn(0.2000, 0.2971),
    ("italypowerdemand", "knn_acc"): _ucr_one_nn(0.0447, 0.0496),
    ("acsf1", "knn_acc"): _dtw(0.64, "ucr"),
    ("osuleaf", "knn_acc"): _dtw(0.591, "ucr"),
    ("pickupgesturewiimotez", "knn_acc"): _dtw(0.66, "ucr"),
    ("basicmotions", "knn_acc"): _dtw(0.975, "uea"),
    ("japanesevowels", "knn_acc"): _dtw(0.949, "uea"),
    ("gunpoint", "svm_acc"): _ts2vec(0.980) + _t_loss(0.98, "ucr"),
    ("arrowhead", "svm_acc"): _ts2vec(0.857) + _t_loss(0.766, "ucr"),
    ("italypowerdemand", "svm_acc"): _ts2vec(0.925) + _t_loss(0.954, "ucr"),
    ("acsf1", "svm_acc"): _t_loss(0.9, "ucr"),
    ("osuleaf", "svm_acc"): _t_loss(0.76, "ucr"),
    ("pickupgesturewiimotez", "svm_acc"): _t_loss(0.74, "ucr"),
    ("gunpoint", "linear_acc"): _rocket(1.0),
    ("arrowhead", "linear_acc"): _rocket(0.8143),
    ("italypowerdemand", "linear_acc"): _rocket(0.9696),
    ("acsf1", "linear_acc"): _rocket(0.886),
    ("osuleaf", "linear_acc"): _rocket(0.9409),
    ("pickupgesturewiimotez", "linear_acc"): _rocket(0.83),
    ("basicmotions", "svm_acc"): _t_loss(1.0, "uea"),
    ("japanesevowels", "svm_acc"): _t_loss(0.986, "uea"),
}


class ArchiveAverage(NamedTuple):
    """A published mean accuracy over the sets of a whole archive."""

    archive: str
    n_sets: int
    reference: Reference


ARCHIVE_AVERAGES = (
    ArchiveAverage("UCR", 125, Reference("TS2Vec, mean over 125 UCR sets", 0.830, _TS2VEC)),
    ArchiveAverage("UEA", 29, Reference("TS2Vec, mean over 29 UEA sets", 0.712, _TS2VEC)),
)


def archive_coverage(datasets: list[str], archive_sets: dict[str, list[str]]) -> dict[str, list[str]]:
    """Per archive of ``archive_sets`` (archive → its set names), the run's datasets (as named in the run) in it."""
    members = {archive: {canonical_dataset(name) for name in names} for archive, names in archive_sets.items()}
    return {
        archive: [name for name in datasets if canonical_dataset(name) in canonical]
        for archive, canonical in members.items()
    }


def canonical_dataset(name: str) -> str:
    """``ucr:ItalyPowerDemand`` and ``italy_power_demand`` both → ``italypowerdemand``."""
    base = name.split(":", 1)[1] if ":" in name else name
    return base.lower().replace("_", "").replace("-", "")


def reference_text(reference: Reference) -> str:
    """The figure as a table cell: ``0.890`` or, with a published spread, ``0.890 ± 0.011``."""
    spread = "" if reference.spread is None else f" ± {reference.spread:.3f}"
    return f"{reference.value:.3f}{spread}"


def references_for(dataset: str, metric: str) -> list[Reference]:
    """The published figures for ``dataset`` (as registered) and ``metric``; empty when there are none."""
    return REFERENCES.get((canonical_dataset(dataset), metric), [])
