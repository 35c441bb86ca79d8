"""Encodings of Optuna distributions into bits, and back.

A distribution is first reduced to ``L`` *levels* (the choices of a categorical; the grid points
of an int or stepped float; for wide grids and continuous floats, ``L`` bins of the range, cut in
log space when the distribution is log-scaled). A level index ``0 <= l < L`` is then written in
bits by one of four codes:

==============  ==============  ===============================================================
code            bits            valid codes / penalty (zero exactly on valid codes)
==============  ==============  ===============================================================
``one_hot``     ``L``           exactly one bit on; ``(sum x - 1)^2``
``domain_wall`` ``L - 1``       thermometer ``1..10..0`` (Chancellor 2019); ``sum x_{i+1}(1-x_i)``
``binary``      ``ceil(log2 L)`` codes ``< L``; codes ``>= L`` repair to ``L - 1`` (no penalty)
``unary``       ``L - 1``       every bitstring; the level is the number of ones (ordinals only)
==============  ==============  ===============================================================

Decoding never fails: an infeasible bitstring is repaired deterministically (one-hot: the lowest
set bit, or level 0 when none is set; domain wall and unary: the number of ones; binary: clamp).

This module is pure numpy plus Optuna's *distribution* classes (plain value objects); it never
touches a Study or a Trial.
"""

from __future__ import annotations

from collections.abc import Mapping
import math
from typing import Any

import numpy as np
from optuna.distributions import BaseDistribution
from optuna.distributions import CategoricalDistribution
from optuna.distributions import FloatDistribution
from optuna.distributions import IntDistribution

from optuna_qnas._qubo._layout import BitLayout
from optuna_qnas._qubo._model import QUBO


ENCODINGS = ("one_hot", "domain_wall", "binary", "unary")
_ALIASES = {
    "onehot": "one_hot",
    "thermometer": "domain_wall",
    "dw": "domain_wall",
    "bin": "binary",
}

#: Grids with at most this many points are encoded point by point; wider ones are cut into bins.
DEFAULT_MAX_LEVELS = 16
#: Continuous floats are cut into this many bins (log-spaced for log distributions).
DEFAULT_FLOAT_BINS = 8
#: Categoricals with more choices than this default to the compact binary code.
DEFAULT_MAX_ONE_HOT = 32


def normalize_encoding_name(name: str) -> str:
    if not isinstance(name, str):
        raise ValueError(f"An encoding must be one of {ENCODINGS}; got {name!r}.")
    key = _ALIASES.get(name.lower(), name.lower())
    if key not in ENCODINGS:
        raise ValueError(f"Unknown encoding {name!r}. Use one of {', '.join(ENCODINGS)}.")
    return key


class ParamEncoding:
    """The levels of one distribution and the bit code that writes a level index.

    Args:
        name:
            The parameter's name (for messages).
        distribution:
            An Optuna ``CategoricalDistribution``, ``IntDistribution`` or ``FloatDistribution``.
        encoding:
            One of :data:`ENCODINGS`, or ``None`` for the default (categorical: one-hot up to
            :data:`DEFAULT_MAX_ONE_HOT` choices, else binary; numbers: domain wall, whose
            thermometer bits ``x_i = [level > i]`` let a linear model express a trend over the
            ordered values; two levels: one bit).
        max_levels:
            Grids wider than this are cut into ``max_levels`` bins.
        float_bins:
            Number of bins of a continuous float.
    """

    def __init__(
        self,
        name: str,
        distribution: BaseDistribution,
        encoding: str | None = None,
        *,
        max_levels: int = DEFAULT_MAX_LEVELS,
        float_bins: int = DEFAULT_FLOAT_BINS,
    ) -> None:
        if max_levels < 2 or float_bins < 1:
            raise ValueError("max_levels must be >= 2 and float_bins >= 1.")
        self.name = name
        # A categorical, int or float distribution (anything else is refused below); typed Any
        # because the code reads ``choices`` or ``low`` / ``high`` after checking which it is.
        self.distribution: Any = distribution
        self.is_categorical = isinstance(distribution, CategoricalDistribution)
        self._binned = False
        self._continuous = False
        if isinstance(distribution, CategoricalDistribution):
            self.n_levels = len(distribution.choices)
        elif isinstance(distribution, (IntDistribution, FloatDistribution)):
            self._init_numeric(distribution, max_levels, float_bins)
        else:
            raise ValueError(
                f"Parameter {name!r} has a distribution of type {type(distribution).__name__}, "
                "which optuna_qnas cannot encode. Use CategoricalDistribution, IntDistribution or "
                "FloatDistribution (trial.suggest_categorical / suggest_int / suggest_float)."
            )
        if encoding is None:
            encoding = self._default_encoding()
        self.encoding = normalize_encoding_name(encoding)
        if self.encoding == "unary" and self.is_categorical:
            raise ValueError(
                f"The 'unary' encoding counts ones, so it only suits ordered values; parameter "
                f"{name!r} is categorical. Use 'one_hot', 'domain_wall' or 'binary' for it."
            )
        self.n_bits = self._n_bits()

    # ----- levels -------------------------------------------------------------------------------
    def _init_numeric(
        self, dist: IntDistribution | FloatDistribution, max_levels: int, float_bins: int
    ) -> None:
        self.log = bool(dist.log)
        low, high = float(dist.low), float(dist.high)
        if isinstance(dist, FloatDistribution) and dist.step is None:
            self._continuous = True
            # Bins equally wide in transformed (log) space, their edges kept as *values* and
            # merged where they coincide: a range too narrow to split into distinct floats gets
            # fewer bins (distinct log-space edges can map back to one value).
            t_edges = np.linspace(self._to_t(low), self._to_t(high), float_bins + 1)
            v_edges = np.array([self._from_t(float(t)) for t in t_edges])
            v_edges[0], v_edges[-1] = low, high
            edges = np.unique(np.clip(v_edges, low, high))
            self._edges = edges if len(edges) > 1 else np.array([low, high])
            self.n_levels = len(self._edges) - 1
            self._binned = high > low
            return
        step = float(dist.step) if dist.step is not None else 1.0
        self._step = step
        self._n_grid = int(round((high - low) / step)) + 1
        if self._n_grid <= max_levels:
            self.n_levels = self._n_grid
            self._bin_lo = np.arange(self._n_grid)
            self._bin_hi = np.arange(self._n_grid)
            return
        self._binned = True
        if self.log:
            # Bin edges equally spaced in log space, converted to grid indices; empty bins dropped.
            edges_v = np.exp(np.linspace(math.log(low), math.log(high), max_levels + 1))
            edges_g = np.ceil((edges_v - low) / step - 1e-9).astype(np.int64)
            edges_g[0], edges_g[-1] = 0, self._n_grid
            edges_g = np.unique(edges_g)
        else:
            edges_g = np.unique(
                np.linspace(0, self._n_grid, max_levels + 1).round().astype(np.int64)
            )
        self._bin_lo = edges_g[:-1]
        self._bin_hi = edges_g[1:] - 1
        self.n_levels = len(self._bin_lo)

    def _to_t(self, v: float) -> float:
        return math.log(v) if self.log else v

    def _from_t(self, t: float) -> float:
        return math.exp(t) if self.log else t

    def _default_encoding(self) -> str:
        if self.n_levels == 2:
            return "binary"
        if self.is_categorical:
            return "one_hot" if self.n_levels <= DEFAULT_MAX_ONE_HOT else "binary"
        return "domain_wall"

    def _n_bits(self) -> int:
        n = self.n_levels
        if n <= 1:
            return 0
        if self.encoding == "one_hot":
            return n
        if self.encoding in ("domain_wall", "unary"):
            return n - 1
        return int(math.ceil(math.log2(n)))

    @property
    def is_binned(self) -> bool:
        """Whether a level stands for a range of values (refined by :meth:`value_in_level`)."""
        return self._binned

    # ----- value <-> level ----------------------------------------------------------------------
    def level_of(self, value: Any) -> int:
        """The level index of a parameter value (external representation)."""
        if self.n_levels <= 1:
            return 0
        if self.is_categorical:
            return int(self.distribution.to_internal_repr(value))
        v = float(value)
        if self._continuous:
            v = min(max(v, float(self.distribution.low)), float(self.distribution.high))
            return int(
                np.clip(np.searchsorted(self._edges, v, side="right") - 1, 0, self.n_levels - 1)
            )
        g = int(round((v - float(self.distribution.low)) / self._step))
        g = min(max(g, 0), self._n_grid - 1)
        return int(np.searchsorted(self._bin_hi, g, side="left"))

    def value_of(self, level: int) -> Any:
        """The representative value of a level: the choice, the grid point, or the bin's centre."""
        dist = self.distribution
        if self.is_categorical:
            return dist.choices[int(level)]
        if self._continuous:
            if self.n_levels <= 1:
                return float(dist.low)
            t = 0.5 * (self._to_t(self._edges[level]) + self._to_t(self._edges[level + 1]))
            return self._inside(level, self._from_t(t))
        lo, hi = int(self._bin_lo[level]), int(self._bin_hi[level])
        if self.log and lo != hi:
            v_mid = math.sqrt(self._grid_value(lo) * self._grid_value(hi))
            g = int(round((v_mid - float(dist.low)) / self._step))
        else:
            g = (lo + hi) // 2
        return self._grid_value(min(max(g, lo), hi))

    def value_in_level(
        self, level: int, rng: np.random.RandomState, anchor: Any | None = None
    ) -> Any:
        """A value inside a binned level: near ``anchor`` (a good value seen in this level) when
        given, else uniform (log-uniform for log distributions). Unbinned levels return
        :meth:`value_of`."""
        if not self._binned:
            return self.value_of(level)
        dist = self.distribution
        if self._continuous:
            t_lo, t_hi = self._to_t(self._edges[level]), self._to_t(self._edges[level + 1])
            if anchor is not None:
                t = rng.normal(self._to_t(float(anchor)), 0.25 * (t_hi - t_lo))
                t = min(max(t, t_lo), t_hi)
            else:
                t = rng.uniform(t_lo, t_hi)
            return self._inside(level, self._from_t(t))
        lo, hi = int(self._bin_lo[level]), int(self._bin_hi[level])
        if anchor is not None:
            g_anchor = (float(anchor) - float(dist.low)) / self._step
            g = int(round(rng.normal(g_anchor, 0.25 * (hi - lo + 1))))
        elif self.log:
            v_lo, v_hi = self._grid_value(lo), self._grid_value(hi)
            v = math.exp(rng.uniform(math.log(v_lo), math.log(v_hi)))
            g = int(round((v - float(dist.low)) / self._step))
        else:
            g = int(rng.randint(lo, hi + 1))
        return self._grid_value(min(max(g, lo), hi))

    def _inside(self, level: int, v: float) -> float:
        """``v`` clamped into continuous ``level``'s values: ``[edge, next edge)``, the last level
        closed (the transform's rounding can land a value on the next level's edge)."""
        lo, hi = float(self._edges[level]), float(self._edges[level + 1])
        if level < self.n_levels - 1:
            hi = float(np.nextafter(hi, -math.inf))
        return float(min(max(v, lo), hi))

    def _grid_value(self, g: int) -> int | float:
        dist = self.distribution
        if isinstance(dist, IntDistribution):
            return int(min(dist.low + g * int(self._step), dist.high))
        return float(min(dist.low + g * self._step, dist.high))

    # ----- level <-> bits -----------------------------------------------------------------------
    def encode_level(self, level: int) -> np.ndarray:
        """The canonical code of a level, shape ``(n_bits,)`` int8."""
        bits = np.zeros(self.n_bits, dtype=np.int8)
        if self.n_bits == 0:
            return bits
        if not 0 <= level < self.n_levels:
            raise ValueError(
                f"Level {level} is out of range for parameter {self.name!r} "
                f"({self.n_levels} levels)."
            )
        if self.encoding == "one_hot":
            bits[level] = 1
        elif self.encoding in ("domain_wall", "unary"):
            bits[:level] = 1
        else:
            bits[:] = (level >> np.arange(self.n_bits)) & 1
        return bits

    def encode_levels(self, levels: np.ndarray) -> np.ndarray:
        """Canonical codes of many levels: ``(m,)`` -> ``(m, n_bits)`` int8 (vectorised)."""
        lv = np.asarray(levels, dtype=np.int64).reshape(-1)
        if np.any((lv < 0) | (lv >= self.n_levels)):
            raise ValueError(
                f"Levels out of range for parameter {self.name!r} ({self.n_levels} levels)."
            )
        cols = np.arange(self.n_bits)
        if self.encoding == "one_hot":
            out = lv[:, None] == cols[None, :]
        elif self.encoding in ("domain_wall", "unary"):
            out = cols[None, :] < lv[:, None]
        else:
            out = (lv[:, None] >> cols[None, :]) & 1
        return out.astype(np.int8)

    def _rows(self, bits: np.ndarray) -> np.ndarray:
        b = np.asarray(bits, dtype=np.int64)
        return b.reshape(b.shape[0] if b.ndim == 2 else 1, self.n_bits)

    def decode_levels(self, bits: np.ndarray) -> np.ndarray:
        """Level indices of bitstrings of shape ``(m, n_bits)``, shape ``(m,)``; repairs infeasible
        codes."""
        b = self._rows(bits)
        m = b.shape[0]
        if self.n_bits == 0:
            return np.zeros(m, dtype=np.int64)
        if self.encoding == "one_hot":
            # Lowest set bit; level 0 when no bit is set.
            return np.where(b.any(axis=1), b.argmax(axis=1), 0)
        if self.encoding in ("domain_wall", "unary"):
            return b.sum(axis=1)
        codes = b @ (1 << np.arange(self.n_bits))
        return np.minimum(codes, self.n_levels - 1)

    def feasible(self, bits: np.ndarray) -> np.ndarray:
        """Whether each bitstring (shape ``(m, n_bits)``) is a valid code, shape ``(m,)`` bool."""
        b = self._rows(bits)
        if self.n_bits == 0 or self.encoding == "unary":
            return np.ones(b.shape[0], dtype=bool)
        if self.encoding == "one_hot":
            return b.sum(axis=1) == 1
        if self.encoding == "domain_wall":
            return np.all(b[:, 1:] <= b[:, :-1], axis=1)
        return (b @ (1 << np.arange(self.n_bits))) < self.n_levels

    def penalty(self) -> QUBO:
        """A QUBO over this parameter's bits that is 0 on valid codes and >= 1 on invalid ones.

        Binary codes have no quadratic penalty that singles out ``code < L`` in general; they are
        repaired instead (see :meth:`decode_levels`), so their penalty is zero. Unary codes are
        all valid.
        """
        n = self.n_bits
        lin = np.zeros(n)
        quad = np.zeros((n, n))
        offset = 0.0
        if self.encoding == "one_hot" and n > 0:
            # (sum x - 1)^2 = 1 - sum x_i + 2 sum_{i<j} x_i x_j
            lin[:] = -1.0
            quad[np.triu_indices(n, 1)] = 2.0
            offset = 1.0
        elif self.encoding == "domain_wall" and n > 1:
            # sum_i x_{i+1} (1 - x_i): one unit per "0 then 1" step.
            lin[1:] = 1.0
            quad[np.arange(n - 1), np.arange(1, n)] = -1.0
        return QUBO(lin, quad, offset)


class SearchSpaceEncoding:
    """The encodings of a whole search space, laid side by side in one bit vector.

    Args:
        search_space:
            ``{name: distribution}`` in a fixed order (the order of the dict).
        encoding:
            ``None`` (defaults per distribution), one code name for every parameter, or a
            mapping ``{param_name: code}`` (unnamed parameters take their default). A single
            code that cannot represent some parameter (``unary`` for a categorical) falls back to
            that parameter's default; a per-parameter request that cannot be honoured raises.
        max_levels, float_bins:
            See :class:`ParamEncoding`.
    """

    def __init__(
        self,
        search_space: Mapping[str, BaseDistribution],
        encoding: str | Mapping[str, str] | None = None,
        *,
        max_levels: int = DEFAULT_MAX_LEVELS,
        float_bins: int = DEFAULT_FLOAT_BINS,
    ) -> None:
        if isinstance(encoding, Mapping):
            for key in encoding:
                if key not in search_space:
                    continue  # an encoding for a parameter this space does not hold is harmless
                normalize_encoding_name(encoding[key])
        elif encoding is not None:
            normalize_encoding_name(encoding)
        self.params: list[ParamEncoding] = []
        for name, dist in search_space.items():
            if isinstance(encoding, Mapping):
                code = encoding.get(name)
            elif (
                encoding is not None
                and normalize_encoding_name(encoding) == "unary"
                and isinstance(dist, CategoricalDistribution)
            ):
                code = None  # a blanket "unary" means "unary where it applies"
            else:
                code = encoding
            self.params.append(
                ParamEncoding(name, dist, code, max_levels=max_levels, float_bins=float_bins)
            )
        self._layout = BitLayout(
            [p.encoding for p in self.params],
            [p.n_bits for p in self.params],
            [p.n_levels for p in self.params],
            self.names,
        )
        #: Where each parameter's bits start (and, last, the total), and the parameter of
        #: each bit (``group[i]``), as laid out by the layout.
        self.offsets = self._layout.offsets
        self.group = self._layout.group
        self.n_bits = self._layout.n_bits

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.params]

    @property
    def is_binned(self) -> bool:
        """Whether some parameter is binned (its levels are refined into values)."""
        return any(p.is_binned for p in self.params)

    @property
    def n_configurations(self) -> float | int:
        """Number of distinct level tuples: an exact integer (2,000 binary parameters overflow a
        float), ``inf`` when a parameter is binned, i.e. refined."""
        if self.is_binned:
            return math.inf
        return math.prod(int(p.n_levels) for p in self.params)

    def _slice(self, k: int) -> slice:
        return slice(self.offsets[k], self.offsets[k + 1])

    def levels_of(self, params: Mapping[str, Any]) -> np.ndarray:
        """Level indices of a parameter dict, shape ``(n_params,)``."""
        return np.array([p.level_of(params[p.name]) for p in self.params], dtype=np.int64)

    def encode_levels(self, levels: np.ndarray) -> np.ndarray:
        """Bits of level indices: ``(n_params,)`` -> ``(n_bits,)`` or ``(m, n_params)`` ->
        ``(m, n_bits)``."""
        out = self._layout.encode_levels(np.atleast_2d(np.asarray(levels, dtype=np.int64)))
        return out if np.ndim(levels) == 2 else out[0]

    def encode(self, params: Mapping[str, Any]) -> np.ndarray:
        """Bits of a parameter dict, shape ``(n_bits,)``."""
        return self.encode_levels(self.levels_of(params))

    def decode_levels(self, bits: np.ndarray) -> np.ndarray:
        """Level indices of bitstrings ``(m, n_bits)`` -> ``(m, n_params)`` (repairing infeasible
        codes)."""
        b = np.atleast_2d(np.asarray(bits, dtype=np.int8))
        if b.shape[1] != self.n_bits:
            raise ValueError(f"Expected bitstrings of length {self.n_bits}; got {b.shape[1]}.")
        return self._layout.decode_levels(b)

    def feasible(self, bits: np.ndarray) -> np.ndarray:
        """Whether every parameter's code is valid, per bitstring: ``(m, n_bits)`` -> ``(m,)``."""
        return self._layout.feasible(np.atleast_2d(np.asarray(bits, dtype=np.int8)))

    def values_of(self, levels: np.ndarray) -> dict[str, Any]:
        """Representative parameter values of one level tuple (shape ``(n_params,)``)."""
        return {p.name: p.value_of(int(levels[k])) for k, p in enumerate(self.params)}

    def penalty(self) -> QUBO:
        """The sum of the parameters' penalties over the whole bit vector (0 iff all codes are
        valid)."""
        return self._layout.penalty()

    def pair_mask(self) -> np.ndarray:
        """Which bit pairs ``(i < j)`` carry information, shape ``(n_bits, n_bits)`` bool.

        Pairs across parameters always do. Within a parameter, one-hot pairs are zero on valid
        codes and domain-wall/unary pairs equal one of their bits, so only binary codes keep
        their within-parameter pairs (a function of ``L`` levels needs them).
        """
        g = self.group
        mask = g[:, None] != g[None, :]
        for k, p in enumerate(self.params):
            if p.encoding == "binary" and p.n_bits > 1:
                s = self._slice(k)
                mask[s, s] = True
        return np.triu(mask, 1)
