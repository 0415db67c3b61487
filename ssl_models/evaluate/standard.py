"""The standard probes of every job, fitted on the train split and scored on test: linear, kNN, k-means."""

from __future__ import annotations

import numpy as np
from sslbench.ssl_models.configs import ProbeConfig
from sslbench.ssl_models.evaluate.probes import kmeans_scores, kmeans_silhouette, knn_accuracy, linear_probe
from sslbench.ssl_models.evaluate.registry import EvaluationContext, ReportSection, evaluator

DEFAULT_PROBE = ProbeConfig()
TABLES = {
    "linear_acc": "Linear probe accuracy",
    "knn_acc": "kNN accuracy",
    "kmeans_nmi": "k-means NMI",
    "kmeans_ari": "k-means ARI",
    "kmeans_silhouette": "k-means silhouette (no labels)",
}
CONVERGENCE_SECTION = ReportSection(
    "Linear probes that did not converge",
    "The logistic regression of these jobs stopped at the probe's max_iter before converging: their "
    "linear_acc is reported but may understate the representation (raise [probe] max_iter).",
    columns=(),
    scope="run",
    needs=("linear_converged",),
    keep=lambda metrics: metrics["linear_converged"] < 0.5,
)


def probe_scores(
    train: np.ndarray,
    y_train: np.ndarray | None,
    test: np.ndarray,
    y_test: np.ndarray | None,
    n_classes: int,
    seed: int,
    config: ProbeConfig = DEFAULT_PROBE,
) -> dict[str, float]:
    """linear_acc, linear_c, linear_converged (1 when the probe's final fit converged), knn_acc, kmeans_nmi
    and kmeans_ari; without labels only kmeans_silhouette (k = ``config.unlabelled_clusters``)."""
    if y_train is None or y_test is None:
        return {
            "kmeans_silhouette": kmeans_silhouette(test, min(config.unlabelled_clusters, len(test) - 1), config, seed)
        }
    accuracy, chosen, converged = linear_probe(train, y_train, test, y_test, config, seed)
    metrics = {
        "linear_acc": accuracy,
        "linear_c": chosen,
        "linear_converged": float(converged),
        "knn_acc": knn_accuracy(train, y_train, test, y_test, config),
    }
    metrics["kmeans_nmi"], metrics["kmeans_ari"] = kmeans_scores(test, y_test, n_classes, config, seed)
    return metrics


@evaluator("probes", tables=TABLES, sections=(CONVERGENCE_SECTION,), on_request=False)
def probes(context: EvaluationContext) -> dict[str, float]:
    """:func:`probe_scores` of the context's embeddings with the job's probe settings."""
    split = context.split
    return probe_scores(
        context.train_embeddings,
        split.y_train,
        context.test_embeddings,
        split.y_test,
        split.n_classes,
        context.seed,
        context.probe,
    )
