"""Model cost measurements (torch only): parameters, FLOPs, latency, peak memory.

These are plain functions on a ``torch.nn.Module`` so they work without Lightning; the
:class:`~optuna_qnas.integrations.lightning.ModelCostCallback` calls them on the module being
trained and records the results on the trial.
"""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Mapping
import contextlib
import copy
from dataclasses import asdict
from dataclasses import dataclass
import os
import re
import statistics
import sys
import tempfile
import time
from typing import Any

import torch


#: Trial user-attribute names (and constraint names) of the measured costs.
PARAMS_ATTR = "n_params"
FLOPS_ATTR = "flops_per_sample"
LATENCY_ATTR = "latency_ms"
MEMORY_ATTR = "peak_memory_bytes"
DEVICE_ATTR = "cost_device"
COST_ATTRS: tuple[str, ...] = (PARAMS_ATTR, FLOPS_ATTR, LATENCY_ATTR, MEMORY_ATTR)


@dataclass(frozen=True)
class ModelCost:
    """Costs of one batch-1 inference of a model (``None`` where not measured)."""

    n_params: int | None = None
    flops_per_sample: int | None = None
    latency_ms: float | None = None
    peak_memory_bytes: int | None = None
    device: str = "cpu"

    def as_attrs(self) -> dict[str, Any]:
        """The measured costs keyed by their user-attribute names (unmeasured ones left out),
        plus ``cost_device``."""
        attrs = {k: v for k, v in asdict(self).items() if v is not None and k != "device"}
        attrs[DEVICE_ATTR] = self.device
        return attrs


def count_parameters(model: torch.nn.Module, *, trainable_only: bool = False) -> int:
    """Number of parameters (each shared tensor counted once)."""
    seen: set[int] = set()
    total = 0
    for p in model.parameters():
        if id(p) in seen or (trainable_only and not p.requires_grad):
            continue
        seen.add(id(p))
        total += p.numel()
    return total


def _first_sample(example_input: Any) -> Any:
    """Cut an example batch down to its first sample, keeping the batch dimension."""
    if isinstance(example_input, torch.Tensor):
        if example_input.dim() == 0:
            raise ValueError("example_input must have a batch dimension; got a 0-d tensor.")
        return example_input[:1]
    if isinstance(example_input, (tuple, list)):
        return type(example_input)(_first_sample(x) for x in example_input)
    if isinstance(example_input, Mapping):
        return {k: _first_sample(v) for k, v in example_input.items()}
    raise ValueError(
        "example_input must be a tensor (or a tuple/list/dict of tensors) with a batch "
        f"dimension; got {type(example_input).__name__}."
    )


def _to(example_input: Any, device: torch.device) -> Any:
    if isinstance(example_input, torch.Tensor):
        return example_input.to(device)
    if isinstance(example_input, (tuple, list)):
        return type(example_input)(_to(x, device) for x in example_input)
    return {k: _to(v, device) for k, v in example_input.items()}


def _forward(model: torch.nn.Module, x: Any) -> Any:
    if isinstance(x, tuple):
        return model(*x)
    if isinstance(x, Mapping):
        return model(**x)
    return model(x)


def count_flops(model: torch.nn.Module, example_input: Any) -> int:
    """FLOPs of one forward pass on one sample, counted by ``torch.utils.flop_counter``.

    Counts what ``FlopCounterMode`` counts (matrix multiplications and convolutions, 2 FLOPs per
    multiply-accumulate); element-wise operations, pooling and norms are not counted.
    """
    from torch.utils.flop_counter import FlopCounterMode

    x = _first_sample(example_input)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            _forward(model, x)
    finally:
        model.train(was_training)
    return int(counter.get_total_flops())


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure_latency_ms(
    model: torch.nn.Module,
    example_input: Any,
    *,
    device: str | torch.device = "cpu",
    warmup: int = 5,
    repeats: int = 20,
) -> float:
    """Median wall time in milliseconds of ``repeats`` batch-1 forward passes after ``warmup``.

    The model is copied to ``device`` (the caller's model is left where it is), put in eval mode
    and run under ``torch.no_grad()``; on CUDA each pass is synchronised before the clock reads.
    On CPU the number reflects ``torch.get_num_threads()`` threads and whatever else the machine
    runs at the time: measure on the target device for numbers that mean something there.
    """
    if warmup < 0 or repeats < 1:
        raise ValueError(f"Need warmup >= 0 and repeats >= 1; got {warmup}, {repeats}.")
    dev = torch.device(device)
    net = _copy_to(model, dev)
    x = _to(_first_sample(example_input), dev)
    times = []
    with torch.no_grad():
        for i in range(warmup + repeats):
            _sync(dev)
            t0 = time.perf_counter()
            _forward(net, x)
            _sync(dev)
            if i >= warmup:
                times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times)


def measure_peak_memory_bytes(
    model: torch.nn.Module, example_input: Any, *, device: str | torch.device = "cpu"
) -> int:
    """Peak memory of one batch-1 inference: the weights plus the largest live activations.

    On CUDA: ``torch.cuda.max_memory_allocated`` around moving a copy of the model and running
    it, minus what was allocated before. On CPU: parameter and buffer bytes plus the peak of the
    running sum of allocations and frees that ``torch.profiler`` records during the forward pass.
    """
    dev = torch.device(device)
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
        before = torch.cuda.memory_allocated(dev)
        torch.cuda.reset_peak_memory_stats(dev)
        net = _copy_to(model, dev)
        x = _to(_first_sample(example_input), dev)
        with torch.no_grad():
            _forward(net, x)
        torch.cuda.synchronize(dev)
        return int(torch.cuda.max_memory_allocated(dev) - before)

    from torch.profiler import profile
    from torch.profiler import ProfilerActivity

    net = _copy_to(model, dev)
    x = _to(_first_sample(example_input), dev)
    static = sum(t.numel() * t.element_size() for t in net.parameters())
    static += sum(t.numel() * t.element_size() for t in net.buffers())
    with (
        _without_profiler_chatter(),
        torch.no_grad(),
        profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof,
    ):
        _forward(net, x)
    # Each allocation (+bytes) and free (-bytes) is a "[memory]" event; the peak of their
    # running sum is the most activation and workspace memory live at once.
    deltas = _memory_events(prof)
    live = peak = 0
    for _, delta in sorted(deltas):
        live += delta
        peak = max(peak, live)
    return int(static + peak)


# Kineto, torch.profiler's C++ backend, writes these status lines straight to the process's
# stderr at every profiler start and stop ("USDT:... profiler_start"), whatever
# KINETO_LOG_LEVEL says short of silencing its warnings and errors too.
_PROFILER_CHATTER = re.compile(rb"^(USDT|STAGE):\S+ \S+ \d+:\d+ \S+:\d+\] ")


@contextlib.contextmanager
def _without_profiler_chatter() -> Iterator[None]:
    """Drop Kineto's status lines from stderr while the block runs; pass everything else on.

    The process's stderr (file descriptor 2) goes to a temporary file for the duration of the
    block (one batch-1 forward pass); afterwards every line that is not one of Kineto's
    ``USDT:``/``STAGE:`` status lines is written to stderr, in order, so warnings and errors
    printed meanwhile (by Python, torch or Kineto itself) are kept.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no usable stderr: nothing to filter
        yield
        return
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            with contextlib.suppress(OSError, ValueError):
                sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            kept = b"".join(
                line for line in capture.readlines() if not _PROFILER_CHATTER.match(line)
            )
            if kept:
                os.write(2, kept)


def _memory_events(prof: Any) -> list[tuple[int, int]]:
    """``(time, bytes)`` of every CPU allocation (+) and free (-) the profiler recorded."""
    kineto = getattr(getattr(prof, "profiler", None), "kineto_results", None)
    if kineto is not None:
        return [
            (e.start_ns(), e.nbytes())
            for e in kineto.events()
            if e.name() == "[memory]" and e.device_type() == torch.autograd.DeviceType.CPU
        ]
    # Without the raw events: allocations attributed to the ops that made them, frees as
    # "[memory]" entries.
    return [(e.time_range.start, e.self_cpu_memory_usage) for e in prof.events()]


def _copy_to(model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """An eval-mode copy of ``model`` on ``device``; a Lightning module's trainer is shared, not
    copied."""
    memo: dict[int, Any] = {}
    trainer = getattr(model, "_trainer", None)
    if trainer is not None:
        memo[id(trainer)] = trainer
    net = copy.deepcopy(model, memo)
    return net.to(device).eval()


def measure_model_cost(
    model: torch.nn.Module,
    example_input: Any,
    *,
    device: str | torch.device = "cpu",
    warmup: int = 5,
    repeats: int = 20,
    measure: tuple[str, ...] = COST_ATTRS,
) -> ModelCost:
    """Measure every cost named in ``measure`` (a subset of :data:`COST_ATTRS`)."""
    unknown = set(measure) - set(COST_ATTRS)
    if unknown:
        raise ValueError(f"Unknown cost(s) {sorted(unknown)}; valid: {list(COST_ATTRS)}.")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={str(device)!r} but CUDA is not available; use device='cpu'.")
    return ModelCost(
        n_params=count_parameters(model) if PARAMS_ATTR in measure else None,
        flops_per_sample=count_flops(model, example_input) if FLOPS_ATTR in measure else None,
        latency_ms=(
            measure_latency_ms(model, example_input, device=dev, warmup=warmup, repeats=repeats)
            if LATENCY_ATTR in measure
            else None
        ),
        peak_memory_bytes=(
            measure_peak_memory_bytes(model, example_input, device=dev)
            if MEMORY_ATTR in measure
            else None
        ),
        device=str(dev),
    )


def check_budgets(budgets: Mapping[str, float] | None) -> dict[str, float]:
    """Validate ``{cost attr: budget}``; every budget must be a finite number > 0."""
    out: dict[str, float] = {}
    for key, budget in (budgets or {}).items():
        if key not in COST_ATTRS:
            raise ValueError(f"Unknown budget {key!r}; budgets can be set on {list(COST_ATTRS)}.")
        try:
            value = float(budget)
        except (TypeError, ValueError):
            raise ValueError(f"The {key} budget must be a number; got {budget!r}.") from None
        if not value > 0 or value == float("inf"):
            raise ValueError(
                f"The {key} budget must be a finite number > 0 (e.g. {key}=5.0); got {budget!r}."
            )
        out[key] = value
    return out


def record_model_cost(
    trial: Any, cost: ModelCost, *, budgets: Mapping[str, float] | None = None
) -> None:
    """Store ``cost`` as trial user attributes and each budget as a constraint.

    A budget ``{"latency_ms": 5.0}`` becomes ``trial.set_constraint("latency_ms", latency - 5.0)``
    (feasible when ``<= 0``, Optuna's convention), which constrained samplers (TPE, NSGA-II, GP)
    and ``study.best_trials`` take into account.
    """
    checked = check_budgets(budgets)
    attrs = cost.as_attrs()
    for key, value in attrs.items():
        trial.set_user_attr(key, value)
    for key, budget in checked.items():
        if key not in attrs:
            raise ValueError(f"A {key} budget was given but {key} was not measured.")
        trial.set_constraint(key, float(attrs[key]) - budget)
