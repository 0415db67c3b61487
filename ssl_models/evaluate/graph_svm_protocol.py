"""The graph-classification protocol of InfoGraph (Sun et al. 2020, ICLR) and GraphCL (You et al. 2020, NeurIPS),
registered as the ``graph_svm_protocol`` evaluator for every job of the graph modality.

Reference code: GraphCL's ``unsupervised_TU/evaluate_embedding.py`` (``svc_classify``, taken over from InfoGraph;
GraphMAE's ``evaluate_graph_embeddings_using_svm`` is the same). On the frozen graph embeddings of the **whole**
dataset (train ∪ test, as those papers do):

    outer folds   StratifiedKFold(10, shuffle=True, random_state=seed) over all graphs
    in each fold  SVC(kernel="rbf", gamma="scale", C), C = argmax over {1e-3, 1e-2, …, 1e3} of the 5-fold CV
                  accuracy (GridSearchCV) on the fold's training part only; refit there, scored on its test part
    graph_svm_acc = mean over the outer folds of the fold accuracies, graph_svm_acc_std = their std (ddof 0)

The reference's ``SVC()`` is scikit-learn's default RBF kernel, not a linear SVM; it is kept here. Because the
outer cross-validation runs over the whole set, test rows are training rows of other folds: the metric is its own
column beside the linear probe and is never used to select anything. Deviations: the outer folds are seeded by
the job's seed (the reference leaves them unseeded and repeats 5 times: here the seeds of the suite repeat it);
a dataset whose smallest class has fewer than 10 members gets that many outer folds (``graph_svm_folds`` says how
many; at least 2), an inner search with fewer than 5 members per class that many inner folds, and with fewer than
2 no search (C = 1, the grid's middle). Nothing is computed for unlabelled data or a class of a single graph.
The RBF kernel of every fit is computed from squared distances computed once per job (``RowsRBFSVC``): the same
SVM as ``SVC(gamma="scale")`` on the features (a test checks it against that), ~6× faster on raw graph inputs.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from sklearn import config_context
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics.pairwise import euclidean_distances
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.svm import SVC
from sslbench.ssl_models.evaluate.registry import Column, EvaluationContext, ReportSection, evaluator

C_GRID = (1e-3, 1e-2, 1e-1, 1.0, 1e1, 1e2, 1e3)
OUTER_FOLDS = 10
INNER_FOLDS = 5
MIN_FOLDS = 2
FOLDS_SECTION = ReportSection(
    "InfoGraph/GraphCL protocol: spread over folds",
    "Per configuration, the mean over seeds of the protocol's accuracy, of its std over the outer folds (the ± "
    "that InfoGraph, GraphCL and GraphMAE publish) and of the number of outer folds: 10, or the size of the "
    "smallest class when that is smaller. The folds run over train ∪ test, so this protocol is reported beside "
    "the linear probe and never used for selection; the supervised baseline's encoder was trained on the "
    "training labels, so its entry is optimistic.",
    columns=(
        Column("accuracy", "graph_svm_acc"),
        Column("std over folds", "graph_svm_acc_std"),
        Column("outer folds", "graph_svm_folds", ".0f"),
    ),
    per="configuration",
)


@dataclass(frozen=True)
class GraphSvmResult:
    """Per outer fold: its accuracy and the C chosen on its training part."""

    fold_accuracies: np.ndarray
    chosen_c: np.ndarray

    @property
    def n_folds(self) -> int:
        """Number of outer folds (10, fewer when the smallest class is smaller)."""
        return len(self.fold_accuracies)

    def metrics(self) -> dict[str, float]:
        """graph_svm_acc (mean over folds), graph_svm_acc_std (std over folds, ddof 0), graph_svm_folds."""
        return {
            "graph_svm_acc": float(self.fold_accuracies.mean()),
            "graph_svm_acc_std": float(self.fold_accuracies.std()),
            "graph_svm_folds": float(self.n_folds),
        }


def n_folds(labels: np.ndarray, wanted: int) -> int:
    """min(wanted, members of the smallest class): stratified folds need a member of every class in each."""
    return min(wanted, int(np.unique(labels, return_counts=True)[1].min()))


@dataclass(frozen=True, eq=False)
class RowData:
    """The features and their squared distances ‖xᵢ − xⱼ‖², shared read-only by every fit of one protocol run.

    scikit-learn's ``clone`` deep-copies an estimator's parameters once per fit (7 Cs × 5 inner folds × 10 outer
    folds); sharing instead of copying keeps that from copying an N × N matrix 350 times.
    """

    features: np.ndarray
    distances: np.ndarray

    def __deepcopy__(self, memo: dict[int, object]) -> RowData:
        return self


class RowsRBFSVC(ClassifierMixin, BaseEstimator):
    """``SVC(kernel="rbf", gamma="scale", C)`` on rows of ``data.features``, its kernel from precomputed distances.

    ``fit``/``predict`` take row numbers (shape (n, 1)) instead of feature vectors, so that scikit-learn's
    ``GridSearchCV`` splits rows as usual while the squared distances are computed once per dataset (one BLAS
    product) instead of in every fit: K = exp(−γ‖xᵢ − xⱼ‖²) with γ = 1 / (n_features · Var(X_fit)), exactly
    ``gamma="scale"`` on the fitted rows.
    """

    def __init__(self, data: RowData, C: float = 1.0) -> None:
        self.data = data
        self.C = C

    def fit(self, rows: np.ndarray, labels: np.ndarray) -> RowsRBFSVC:
        """Fit on the rows ``rows[:, 0]``."""
        self.rows_ = rows[:, 0]
        fitted = self.data.features[self.rows_]
        self.gamma_ = 1.0 / (fitted.shape[1] * fitted.var()) if fitted.var() > 0 else 1.0
        self.svm_ = SVC(C=self.C, kernel="precomputed").fit(self._kernel(self.rows_), labels)
        self.classes_ = self.svm_.classes_
        return self

    def predict(self, rows: np.ndarray) -> np.ndarray:
        """Predicted labels of the rows ``rows[:, 0]``."""
        return self.svm_.predict(self._kernel(rows[:, 0]))

    def _kernel(self, rows: np.ndarray) -> np.ndarray:
        return np.exp(-self.gamma_ * self.data.distances[np.ix_(rows, self.rows_)])


def accuracy(svm: RowsRBFSVC, rows: np.ndarray, labels: np.ndarray) -> float:
    """Share of ``rows`` predicted right: the reference's scoring="accuracy" without its per-call label checks."""
    return float(np.mean(svm.predict(rows) == labels))


def fit_fold_svm(svm: RowsRBFSVC, rows: np.ndarray, labels: np.ndarray) -> RowsRBFSVC:
    """The RBF SVM of one outer fold, C by stratified inner CV over ``C_GRID`` on these rows only."""
    inner = n_folds(labels, INNER_FOLDS)
    with warnings.catch_warnings(), config_context(assume_finite=True):
        warnings.simplefilter("ignore", ConvergenceWarning)
        if inner < MIN_FOLDS:
            return clone(svm).set_params(C=C_GRID[len(C_GRID) // 2]).fit(rows[:, None], labels)
        search = GridSearchCV(svm, {"C": list(C_GRID)}, cv=StratifiedKFold(inner), scoring=accuracy, n_jobs=1)
        return search.fit(rows[:, None], labels).best_estimator_


def outer_folds(labels: np.ndarray, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train rows, test rows) of the seeded stratified outer folds; empty when a class has fewer than 2 members."""
    count = n_folds(labels, OUTER_FOLDS)
    if count < MIN_FOLDS:
        return []
    return list(StratifiedKFold(count, shuffle=True, random_state=seed).split(np.zeros(len(labels)), labels))


def cross_validate(
    embeddings: np.ndarray, labels: np.ndarray, folds: list[tuple[np.ndarray, np.ndarray]]
) -> GraphSvmResult:
    """Each fold's SVM fitted (C included) on its training rows, scored once on its test rows."""
    features = np.asarray(embeddings, dtype=np.float64)
    svm = RowsRBFSVC(RowData(features, euclidean_distances(features, squared=True)))
    accuracies, chosen = [], []
    for train, test in folds:
        fitted = fit_fold_svm(svm, train, labels[train])
        accuracies.append(accuracy(fitted, test[:, None], labels[test]))
        chosen.append(float(fitted.C))
    return GraphSvmResult(np.array(accuracies), np.array(chosen))


def graph_svm_cross_validation(embeddings: np.ndarray, labels: np.ndarray, seed: int) -> GraphSvmResult | None:
    """The protocol on every graph's embedding and label; None when a class has fewer than 2 members."""
    folds = outer_folds(labels, seed)
    return cross_validate(embeddings, labels, folds) if folds else None


@evaluator(
    "graph_svm_protocol",
    tables={
        "graph_svm_acc": "InfoGraph/GraphCL protocol accuracy (RBF SVM, 10-fold CV over train ∪ test; its own "
        "column, never used for selection)"
    },
    sections=(FOLDS_SECTION,),
    on_request=False,
    modalities=("graph",),
)
def graph_svm_protocol(context: EvaluationContext) -> dict[str, float]:
    """The protocol on the train and test embeddings together; nothing for unlabelled graphs."""
    split = context.split
    if split.y_train is None or split.y_test is None:
        return {}
    embeddings = np.concatenate([context.train_embeddings, context.test_embeddings])
    result = graph_svm_cross_validation(embeddings, np.concatenate([split.y_train, split.y_test]), context.seed)
    return {} if result is None else result.metrics()
