"""Linear dynamical systems in one place: the model and its Kalman filter (``system``), the ``lds`` dataset
and its name family (``dataset``), and the evaluators that compare a trained model with the Kalman filter,
with their report section (``evaluate``)."""

from sslbench.ssl_models.lds.system import LinearGaussianSystem, kalman_filter, random_stable_system, simulate

__all__ = ["LinearGaussianSystem", "kalman_filter", "random_stable_system", "simulate"]
