"""Values several test modules share (fixtures live in conftest.py)."""

from __future__ import annotations

# Image augmentation options that leave an image unchanged: full-size square crops, no rotation, shift, noise
# or erasing; a test switches on the one step it checks.
STILL = {
    "crop_scale": (1.0, 1.0),
    "crop_ratio": (1.0, 1.0),
    "rotation_degrees": 0.0,
    "translate": 0.0,
    "noise_std": 0.0,
    "erase_probability": 0.0,
}
