"""Evaluation of frozen representations: every evaluator registers in ``registry`` with how the report
shows its metrics. Adding one is one module plus its import line below; import order is the report's order.
"""

from sslbench.ssl_models.evaluate import collapse  # noqa: F401  (registration: embedding and projector collapse)
from sslbench.ssl_models.evaluate import standard  # noqa: F401  (registration: probes and clustering)
from sslbench.ssl_models.evaluate import svm_protocol  # noqa: F401  (registration: TS2Vec's SVM protocol)
from sslbench.ssl_models.evaluate import graph_svm_protocol  # noqa: F401  (registration: InfoGraph/GraphCL's protocol)
from sslbench.ssl_models.evaluate import subspace  # noqa: F401  (registration: linear autoencoder vs PCA)
from sslbench.ssl_models.lds import evaluate as _lds_evaluate  # noqa: F401  (registration: against the Kalman filter)
from sslbench.ssl_models.evaluate import uniformity  # noqa: F401  (registration: alignment and uniformity)
from sslbench.ssl_models.evaluate import finetune  # noqa: F401  (registration: end-to-end fine-tuning, on request)
from sslbench.ssl_models.evaluate.collapse import collapse_diagnostics, effective_rank, is_collapsed, normalised_std
from sslbench.ssl_models.evaluate.embed import embed
from sslbench.ssl_models.evaluate.probes import (
    ProbeConfig,
    kmeans_scores,
    kmeans_silhouette,
    knn_accuracy,
    linear_probe,
)
from sslbench.ssl_models.evaluate.registry import EvaluationContext, evaluation_signature, run_evaluators
from sslbench.ssl_models.evaluate.standard import probe_scores

__all__ = [
    "EvaluationContext",
    "ProbeConfig",
    "evaluation_signature",
    "collapse_diagnostics",
    "effective_rank",
    "embed",
    "probe_scores",
    "is_collapsed",
    "kmeans_scores",
    "kmeans_silhouette",
    "knn_accuracy",
    "linear_probe",
    "normalised_std",
    "run_evaluators",
]
