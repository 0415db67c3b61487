"""TS2Vec's evaluation protocol for time-series classification (Yue et al. 2022; reference code
``tasks/_eval_protocols.py``, ``fit_svm``), registered as the ``svm_protocol`` evaluator.

On the frozen instance representations (the encoder's embedding; max-pooled over time for TS2Vec's encoder):

    classifier = SVC(kernel="rbf", gamma="scale", C)
    C = ∞ (hard margin)                                     when n_train // n_classes < 5 or n_train < 50
    C = argmax 5-fold CV accuracy on train over {1e-4, 1e-3, …, 1e4, ∞}   otherwise

Reports ``svm_acc`` (test accuracy) and ``svm_c`` (the C used; ``inf`` for the hard margin). Only the training
split selects C. Deviation: cross-validation runs in one process (the reference uses 5 jobs); folds are
scikit-learn's ``StratifiedKFold(5)`` without shuffling, as in the reference.
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.model_selection import GridSearchCV
from sklearn.svm import SVC
from sslbench.ssl_models.evaluate.registry import EvaluationContext, evaluator

C_GRID = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 1e1, 1e2, 1e3, 1e4, math.inf)
MIN_PER_CLASS_FOR_SEARCH = 5
MIN_TRAIN_FOR_SEARCH = 50
CV_FOLDS = 5


def searches_c(n_train: int, n_classes: int) -> bool:
    """The published rule: search C only when n_train // n_classes ≥ 5 and n_train ≥ 50."""
    return n_train // n_classes >= MIN_PER_CLASS_FOR_SEARCH and n_train >= MIN_TRAIN_FOR_SEARCH


def fit_svm(features: np.ndarray, labels: np.ndarray) -> SVC:
    """The RBF SVM of TS2Vec's protocol, fitted on the training representations."""
    svm = SVC(C=math.inf, kernel="rbf", gamma="scale", max_iter=10_000_000)
    if not searches_c(len(labels), len(np.unique(labels))):
        return svm.fit(features, labels)
    search = GridSearchCV(svm, {"C": list(C_GRID)}, cv=CV_FOLDS, n_jobs=1)
    search.fit(features, labels)
    return search.best_estimator_


def svm_protocol_scores(
    train: np.ndarray, y_train: np.ndarray, test: np.ndarray, y_test: np.ndarray
) -> dict[str, float]:
    """``svm_acc`` on test and the ``svm_c`` chosen on train."""
    svm = fit_svm(np.asarray(train, dtype=np.float64), y_train)
    accuracy = float(np.mean(svm.predict(np.asarray(test, dtype=np.float64)) == y_test))
    return {"svm_acc": accuracy, "svm_c": float(svm.C)}


@evaluator("svm_protocol", tables={"svm_acc": "TS2Vec protocol accuracy (RBF SVM, C searched on train)"})
def svm_protocol(context: EvaluationContext) -> dict[str, float]:
    """TS2Vec's RBF-SVM protocol on the job's train/test embeddings; nothing for unlabelled data."""
    split = context.split
    if split.y_train is None or split.y_test is None:
        return {}
    return svm_protocol_scores(context.train_embeddings, split.y_train, context.test_embeddings, split.y_test)
