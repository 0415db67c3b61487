"""Augmentations (one module per modality, seeded) and the view bank that materialises them once.

Adding an augmentation is one module that registers a factory, plus its import line below.
"""

from sslbench.ssl_models.augment import graph, image, sequence, vector  # noqa: F401  (registration)
from sslbench.ssl_models.augment.bank import BankError, bank_is_valid, bank_key, generate_bank, open_bank
from sslbench.ssl_models.augment.registry import AUGMENTATIONS, Augmentation, build_augmentation
from sslbench.ssl_models.augment.views import ASYMMETRIC_VIEWS, DEFAULT_GROUP, GroupBank, ViewGroup, group_banks

DEFAULT_AUGMENTATION = {"image": "image", "sequence": "sequence", "graph": "graph", "vector": "vector"}

__all__ = [
    "ASYMMETRIC_VIEWS",
    "AUGMENTATIONS",
    "Augmentation",
    "BankError",
    "DEFAULT_AUGMENTATION",
    "DEFAULT_GROUP",
    "GroupBank",
    "ViewGroup",
    "bank_is_valid",
    "bank_key",
    "build_augmentation",
    "generate_bank",
    "group_banks",
    "open_bank",
]
