"""The selective scan of ``selective_ssm`` as two fused CPU kernels (Numba), forward and backward.

    h_t = a_t ⊙ h_{t−1} + (Δ_t v_t) ⊗ B_t,   a_t = exp(Δ_t A),   h_{−1} = 0,   y_t = h_t C_t

with v, Δ (batch, L, d), A (d, N), B, C (batch, L, N); h_t is (d, N) per example (stored as (N, d)). The
backward is the reverse scan

    g_t = ∂y_t ⊗ C_t + a_{t+1} ⊙ g_{t+1},   ∂C_t = ∂y_tᵀ h_t,   ∂B_t = (Δ_t v_t)ᵀ g_t,   ∂(Δ_t v_t) = g_t B_t,
    e_t = g_t ⊙ a_t ⊙ h_{t−1}:   ∂Δ_t += e_t A summed over N,   ∂A = Σ_{b,t} e_t Δ_t

Why hand-written (issue #16; one thread, CPU seconds, medians of interleaved runs, ``benchmarks/perf``): the scan
is elementwise work on a (batch, L, d, N) tensor 16× the size of the activations, and each torch operation of the
torch loop (``selective_ssm._SelectiveScan``, about 12 full-size passes, plus small batched matmuls) streams it
through memory once; it was 70 % of the selective SSM's SimCLR step on MNIST-5k. These kernels visit each element
once per pass with the rest in registers, and the backward recomputes one example's states at a time into a
(L, N, d) buffer that stays in cache instead of saving them; the inner loops run over the d channels, contiguous.
Only the decays exp(Δ_t A) are materialised, by torch's vectorised ``exp2`` (Numba's scalar ``exp`` took 8 ns an
element, torch's ``exp2`` 0.8–1.1). Forward + backward: 254 → 74 ms at batch 256, L 28, d 128, N 16 (3.4×); 534 →
151 ms at batch 64, L 200 (3.5×). Equal to the torch loop and to autograd through a step loop within float32
rounding, and gradcheck-exact in float64 (``tests/test_encoders.py``); deterministic on a given machine.

The kernels release the GIL (``nogil``), so jobs on the thread runner scan in parallel; they are compiled on first
use and cached on disk (``cache=True``). Numba is imported only when a selective SSM runs on the CPU.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
import torch

LOG2_E = math.log2(math.e)


def _scan_forward(
    drive: np.ndarray, decay: np.ndarray, B: np.ndarray, C: np.ndarray, outputs: np.ndarray, zero: Any
) -> None:
    """outputs[b, t, i] = Σ_n h_t[n, i] C[b, t, n], drive = Δ ⊙ v; decay is (batch, L, N, d); one example's (N, d)
    state in cache."""
    batch, length, inner = drive.shape
    state_dim = B.shape[2]
    state = np.empty((state_dim, inner), dtype=drive.dtype)
    for b in range(batch):
        state[:] = zero
        for t in range(length):
            outputs[b, t] = zero
            for n in range(state_dim):
                B_n, C_n = B[b, t, n], C[b, t, n]
                for i in range(inner):
                    h = decay[b, t, n, i] * state[n, i] + drive[b, t, i] * B_n
                    state[n, i] = h
                    outputs[b, t, i] += h * C_n


def _scan_backward(
    drive: np.ndarray,
    dt: np.ndarray,
    A_t: np.ndarray,
    decay: np.ndarray,
    B: np.ndarray,
    C: np.ndarray,
    grad_y: np.ndarray,
    grad_drive: np.ndarray,
    grad_dt_rate: np.ndarray,
    grad_A_t: np.ndarray,
    grad_B: np.ndarray,
    grad_C: np.ndarray,
    zero: Any,
) -> None:
    """Gradients of Σ grad_y ⊙ y (drive = Δ ⊙ v): ∂(Δv) into grad_drive, (e A)·1 into grad_dt_rate, and ∂Aᵀ
    (accumulated), ∂B, ∂C.

    A and its gradient are (N, d), decay (batch, L, N, d). Per example, the states are recomputed into ``states``
    (L, N, d), then the reverse scan runs. Edge steps (t = 0 has no h_{−1}; the last step has no a_{t+1}) get their
    own loops, so the inner loops, over the d channels, have no branches and vectorise.
    """
    batch, length, inner = drive.shape
    state_dim = B.shape[2]
    states = np.empty((length, state_dim, inner), dtype=drive.dtype)
    grad_state = np.empty((state_dim, inner), dtype=drive.dtype)
    for b in range(batch):
        for t in range(length):
            for n in range(state_dim):
                B_n = B[b, t, n]
                if t == 0:
                    for i in range(inner):
                        states[0, n, i] = drive[b, 0, i] * B_n
                else:
                    for i in range(inner):
                        states[t, n, i] = decay[b, t, n, i] * states[t - 1, n, i] + drive[b, t, i] * B_n
        for t in range(length - 1, -1, -1):
            grad_drive[b, t] = zero
            grad_dt_rate[b, t] = zero
            for n in range(state_dim):
                B_n, C_n = B[b, t, n], C[b, t, n]
                if t + 1 < length:
                    for i in range(inner):
                        grad_state[n, i] = grad_y[b, t, i] * C_n + decay[b, t + 1, n, i] * grad_state[n, i]
                else:
                    for i in range(inner):
                        grad_state[n, i] = grad_y[b, t, i] * C_n
                sum_C, sum_B = zero, zero
                for i in range(inner):
                    sum_C += grad_y[b, t, i] * states[t, n, i]
                    sum_B += drive[b, t, i] * grad_state[n, i]
                    grad_drive[b, t, i] += grad_state[n, i] * B_n
                grad_C[b, t, n] = sum_C
                grad_B[b, t, n] = sum_B
                if t > 0:
                    for i in range(inner):
                        e = decay[b, t, n, i] * states[t - 1, n, i] * grad_state[n, i]
                        grad_dt_rate[b, t, i] += e * A_t[n, i]
                        grad_A_t[n, i] += e * dt[b, t, i]


@functools.cache
def _kernels() -> dict[str, Any]:
    """The two kernels, compiled on first call. Only reassociation and fused multiply-adds are allowed (so the sums
    vectorise); NaN and infinity keep their IEEE meaning, so a diverging run still shows NaN."""
    import numba

    compile_kernel = numba.njit(cache=True, nogil=True, fastmath={"reassoc", "contract"}, error_model="numpy")
    return {"forward": compile_kernel(_scan_forward), "backward": compile_kernel(_scan_backward)}


def compute_dtype(*tensors: torch.Tensor) -> torch.dtype:
    """float64 if any input is float64, else float32 (half and bfloat16 inputs are scanned in float32)."""
    return torch.float64 if any(t.dtype == torch.float64 for t in tensors) else torch.float32


class FusedCPUScan(torch.autograd.Function):
    """Σ_n C_t[n]·h_t[:, n] (module docstring) on CPU tensors; returns float32 or float64 (``compute_dtype``)."""

    @staticmethod
    def forward(
        ctx: Any, values: torch.Tensor, dt: torch.Tensor, A: torch.Tensor, B: torch.Tensor, C: torch.Tensor
    ) -> torch.Tensor:
        dtype = compute_dtype(values, dt, A, B, C)
        ctx.input_dtypes = [t.dtype for t in (values, dt, A, B, C)]
        values, dt, B, C = (t.detach().to(dtype).contiguous() for t in (values, dt, B, C))
        A_t = A.detach().to(dtype).t().contiguous()  # (N, d)
        decay = torch.mul(dt[:, :, None, :], A_t * LOG2_E).exp2_()  # exp(Δ_t A), (batch, L, N, d)
        drive = dt * values
        outputs = torch.empty_like(values)
        zero = values.numpy().dtype.type(0)
        _kernels()["forward"](drive.numpy(), decay.numpy(), B.numpy(), C.numpy(), outputs.numpy(), zero)
        ctx.save_for_backward(values, dt, drive, A_t, B, C, decay)
        return outputs

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx: Any, grad_output: torch.Tensor) -> tuple[torch.Tensor, ...]:
        values, dt, drive, A_t, B, C, decay = ctx.saved_tensors
        grad_y = grad_output.to(values.dtype).contiguous()
        grad_drive, grad_dt_rate = torch.empty_like(values), torch.empty_like(values)
        grad_A_t, grad_B, grad_C = torch.zeros_like(A_t), torch.empty_like(B), torch.empty_like(C)
        arrays = (drive, dt, A_t, decay, B, C, grad_y, grad_drive, grad_dt_rate, grad_A_t, grad_B, grad_C)
        _kernels()["backward"](*(t.numpy() for t in arrays), values.numpy().dtype.type(0))
        grads = (grad_drive * dt, torch.addcmul(grad_dt_rate, grad_drive, values), grad_A_t.t(), grad_B, grad_C)
        return tuple(g.to(d) for g, d in zip(grads, ctx.input_dtypes))
