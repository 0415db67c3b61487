"""Probes of frozen embeddings, fitted on the training split only, scored on the test split.

- linear probe: standardise (train statistics) → multinomial logistic regression, C chosen by stratified
  cross-validation on the training split; whether the final fit converged within ``max_iter`` is reported
  (``linear_converged``), and scikit-learn's ConvergenceWarnings are recorded that way instead of printed;
- kNN: cosine k-nearest-neighbour vote (as Euclidean distance between unit vectors);
- k-means (k = number of classes) on L2-normalised test embeddings: NMI and ARI against the labels
  (normalising, not standardising, keeps PCA's variance ordering instead of whitening noise directions).
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score, silhouette_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sslbench.ssl_models.configs import ProbeConfig


def fit_linear_probe(train: np.ndarray, y_train: np.ndarray, config: ProbeConfig, seed: int) -> tuple[Pipeline, float]:
    """Standardiser + logistic regression fitted on the training split alone, C by stratified CV on it.

    It never sees test data, so nothing fitted (means, scales, C, weights) can depend on test labels.
    ConvergenceWarnings are silenced here; :func:`probe_converged` tells whether the final fit converged.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return _fit_linear_probe(train, y_train, config, seed)


def probe_converged(model: Pipeline, config: ProbeConfig) -> bool:
    """True when the fitted logistic regression stopped before ``max_iter`` iterations (lbfgs converged)."""
    return bool(np.max(model[-1].n_iter_) < config.max_iter)


def _fit_linear_probe(train: np.ndarray, y_train: np.ndarray, config: ProbeConfig, seed: int) -> tuple[Pipeline, float]:
    pipeline = make_pipeline(StandardScaler(), LogisticRegression(max_iter=config.max_iter, random_state=seed))
    grid = list(config.linear_c_grid)
    smallest_class = int(np.bincount(y_train).min()) if len(y_train) else 0
    if len(grid) > 1 and smallest_class >= config.cv_folds:
        search = GridSearchCV(
            pipeline,
            {"logisticregression__C": grid},
            cv=StratifiedKFold(config.cv_folds, shuffle=True, random_state=seed),
            n_jobs=1,
        )
        search.fit(train, y_train)
        model, chosen = search.best_estimator_, float(search.best_params_["logisticregression__C"])
    else:
        chosen = float(grid[len(grid) // 2])
        model = pipeline.set_params(logisticregression__C=chosen).fit(train, y_train)
    return model, chosen


def linear_probe(
    train: np.ndarray, y_train: np.ndarray, test: np.ndarray, y_test: np.ndarray, config: ProbeConfig, seed: int
) -> tuple[float, float, bool]:
    """(test accuracy, chosen C, converged) of the linear probe fitted on train, scored once on test."""
    model, chosen = fit_linear_probe(train, y_train, config, seed)
    return float(model.score(test, y_test)), chosen, probe_converged(model, config)


def knn_accuracy(
    train: np.ndarray, y_train: np.ndarray, test: np.ndarray, y_test: np.ndarray, config: ProbeConfig
) -> float:
    """Accuracy of a cosine kNN classifier (k = ``knn_neighbours``, majority vote) fitted on the training embeddings.

    The neighbours are found by Euclidean distance between unit vectors, ‖a − b‖² = 2 − 2 cos(a, b), the same
    order as cosine distance (``cosine_points``). That runs scikit-learn's chunked nearest-neighbour search instead
    of a full test × train cosine matrix: on 9,600 × 1,000 float32 training inputs ``metric="cosine"`` peaked at
    268 MB above its inputs.
    """
    k = min(config.knn_neighbours, len(train))
    train_points, test_points = cosine_points(train, test)
    model = KNeighborsClassifier(n_neighbors=k, metric="euclidean", algorithm="brute").fit(train_points, y_train)
    return float(model.score(test_points, y_test))


def cosine_points(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points whose squared Euclidean distances are 2 × the cosine distances 1 − cos(a, b) of the embeddings.

    Non-zero rows become unit vectors. A zero row has cosine distance 1 to everything (scikit-learn's rule), so
    it becomes a unit vector on an axis of its own, orthogonal to every other point: one extra axis for zero
    training rows, another for zero test rows, added only when there are any.
    """
    train_points, test_points = _unit(train), _unit(test)
    zero_train = ~train_points.any(axis=1)
    zero_test = ~test_points.any(axis=1)
    if zero_train.any() or zero_test.any():
        train_points = np.column_stack([train_points, zero_train, np.zeros(len(train))]).astype(train_points.dtype)
        test_points = np.column_stack([test_points, np.zeros(len(test)), zero_test]).astype(test_points.dtype)
    return train_points, test_points


def _unit(embeddings: np.ndarray) -> np.ndarray:
    return embeddings / np.maximum(np.linalg.norm(embeddings, axis=1, keepdims=True), 1e-12)


def _kmeans(unit: np.ndarray, n_clusters: int, config: ProbeConfig, seed: int) -> np.ndarray:
    """Cluster indices of k-means on ``unit``; fewer distinct points than clusters is not worth a warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return KMeans(n_clusters=n_clusters, n_init=config.kmeans_restarts, random_state=seed).fit_predict(unit)


def kmeans_silhouette(test: np.ndarray, n_clusters: int, config: ProbeConfig, seed: int) -> float:
    """Silhouette of k-means clusters of the L2-normalised test embeddings (label-free clustering quality);
    0 when it is undefined (fewer than 3 test examples, or a single cluster)."""
    if len(test) < 3:
        return 0.0
    unit = _unit(test)
    clusters = _kmeans(unit, max(2, min(n_clusters, len(test) - 1)), config, seed)
    if len(set(clusters)) < 2:
        return 0.0
    return float(silhouette_score(unit, clusters, random_state=seed, sample_size=min(len(unit), 2000)))


def kmeans_scores(
    test: np.ndarray, y_test: np.ndarray, n_clusters: int, config: ProbeConfig, seed: int
) -> tuple[float, float]:
    """(NMI, ARI) of k-means clusters of the L2-normalised test embeddings against the test labels."""
    clusters = _kmeans(_unit(test), min(n_clusters, len(test)), config, seed)
    return float(normalized_mutual_info_score(y_test, clusters)), float(adjusted_rand_score(y_test, clusters))
