"""Evaluation of frozen representations: probes, clustering, collapse diagnostics, and baselines' embeddings."""

from __future__ import annotations

import numpy as np

from ssl_models.evaluate import lds  # noqa: F401  (registers the lds evaluators)
from ssl_models.evaluate import svm_protocol  # noqa: F401  (registers TS2Vec's SVM protocol)
from ssl_models.evaluate.diagnostics import collapse_diagnostics, effective_rank, is_collapsed, normalised_std
from ssl_models.evaluate.embed import embed
from ssl_models.evaluate.probes import ProbeConfig, kmeans_scores, kmeans_silhouette, knn_accuracy, linear_probe


def evaluate_embeddings(
    train: np.ndarray,
    y_train: np.ndarray | None,
    test: np.ndarray,
    y_test: np.ndarray | None,
    n_classes: int,
    seed: int,
    config: ProbeConfig = ProbeConfig(),
) -> dict[str, float]:
    """Every metric of one representation: probes (when labelled), clustering, and diagnostics.

    Keys: linear_acc, linear_c, linear_converged (1 when the probe's final fit converged), knn_acc, kmeans_nmi, kmeans_ari, effective_rank, embedding_std (centred),
    collapsed and embedding_collapsed (both the embedding's own flag here; a caller that also inspects a projector
    may widen ``collapsed``); without labels only the label-free ones: kmeans_silhouette
    (k = ``config.unlabelled_clusters``) and diagnostics.
    """
    metrics: dict[str, float] = collapse_diagnostics(test, centre=True)
    metrics["embedding_collapsed"] = metrics["collapsed"]
    if y_train is not None and y_test is not None:
        accuracy, chosen, converged = linear_probe(train, y_train, test, y_test, config, seed)
        metrics.update(linear_acc=accuracy, linear_c=chosen, linear_converged=float(converged))
        metrics["knn_acc"] = knn_accuracy(train, y_train, test, y_test, config)
        metrics["kmeans_nmi"], metrics["kmeans_ari"] = kmeans_scores(test, y_test, n_classes, config, seed)
    else:
        metrics["kmeans_silhouette"] = kmeans_silhouette(test, min(config.unlabelled_clusters, len(test) - 1), config, seed)
    return metrics


__all__ = ["ProbeConfig", "collapse_diagnostics", "effective_rank", "embed", "evaluate_embeddings", "is_collapsed", "kmeans_scores", "kmeans_silhouette",
           "knn_accuracy", "linear_probe", "normalised_std"]
