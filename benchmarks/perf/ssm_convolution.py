"""The S4D convolution two ways, per sequence length: the Toeplitz product against the FFT (forward + backward).

    python -m sslbench.benchmarks.perf.ssm_convolution [--lengths 28,64,128,256] [--batch 256] [--d-model 64]

CPU-seconds of this process (one torch thread, the flow's policy), medians of interleaved repeats; the ratio
FFT ÷ Toeplitz > 1 where the product is faster. ``ssl_models.encoders.ssm.DIRECT_MAX_STEPS`` comes from it.
"""

from __future__ import annotations

from sslbench.ssl_models import threads

threads.set_environment()  # the thread policy, before torch is imported

import argparse  # noqa: E402
import functools  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import torch  # noqa: E402
from sslbench.ssl_models.encoders.ssm import S4DLayer, causal_toeplitz  # noqa: E402


def toeplitz_convolve(layer: S4DLayer, inputs: torch.Tensor) -> torch.Tensor:
    """y = K ∗ u + D·u as one product with the causal Toeplitz matrices, at any length."""
    kernel = causal_toeplitz(layer.kernel(inputs.shape[1]))
    return torch.einsum("hts,bsh->bth", kernel, inputs) + inputs * layer.D


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", default="28,64,128,256")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--d-model", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    torch.manual_seed(0)
    for length in (int(part) for part in args.lengths.split(",")):
        layer = S4DLayer(args.d_model)
        inputs = torch.randn(args.batch, length, args.d_model, requires_grad=True)
        ways: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
            "fft": layer.convolve_fft,
            "toeplitz": functools.partial(toeplitz_convolve, layer),
        }
        error = (ways["fft"](inputs) - ways["toeplitz"](inputs)).abs().max().item()
        seconds: dict[str, list[float]] = {name: [] for name in ways}
        for _ in range(args.repeats):
            for name, convolve in ways.items():
                start = time.process_time()
                for _ in range(5):
                    convolve(inputs).square().sum().backward()
                seconds[name].append(time.process_time() - start)
        fft, toeplitz = statistics.median(seconds["fft"]), statistics.median(seconds["toeplitz"])
        print(
            f"{length:5d} steps: fft {fft:.3f} s, toeplitz {toeplitz:.3f} s, fft/toeplitz {fft / toeplitz:.2f}, "
            f"max difference {error:.1e}",
            flush=True,
        )


if __name__ == "__main__":
    main()
