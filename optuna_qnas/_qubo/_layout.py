"""Whole-vector bit operations of a search-space encoding, vectorised over its parameters.

:class:`optuna_qnas.SearchSpaceEncoding` lays its parameters' codes side by side. Encoding,
decoding, checking and penalising parameter by parameter costs a Python loop per call, which at
2,000 parameters made these operations a third of a proposal's time. :class:`BitLayout` keeps,
for every bit, its parameter, its position inside the parameter's code and the kind of code,
and does the same work in a few array operations. Each result equals what the parameters'
own methods (:class:`optuna_qnas._qubo._encoding.ParamEncoding`) give; the tests compare them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from optuna_qnas._qubo._model import QUBO


ONE_HOT, DOMAIN_WALL, UNARY, BINARY = 0, 1, 2, 3
_KINDS = {"one_hot": ONE_HOT, "domain_wall": DOMAIN_WALL, "unary": UNARY, "binary": BINARY}


class BitLayout:
    """Bits of parameters laid side by side.

    Args:
        encodings: Each parameter's code name (``"one_hot"``, ``"domain_wall"``, ``"unary"`` or
            ``"binary"``).
        n_bits: Each parameter's number of bits.
        n_levels: Each parameter's number of levels.
        names: Parameter names, for error messages.
    """

    def __init__(
        self,
        encodings: Sequence[str],
        n_bits: Sequence[int],
        n_levels: Sequence[int],
        names: Sequence[str],
    ) -> None:
        sizes = np.asarray(n_bits, dtype=np.int64)
        self.names = list(names)
        self.n_levels = np.asarray(n_levels, dtype=np.int64)
        self.kind = np.array([_KINDS[e] for e in encodings], dtype=np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self.n_bits = int(self.offsets[-1])
        #: The parameter of each bit, and the bit's position inside that parameter's code.
        self.group = np.repeat(np.arange(len(sizes)), sizes)
        self.position = np.arange(self.n_bits) - self.offsets[self.group]
        self.bit_kind = self.kind[self.group]
        #: Parameters with at least one bit (the others always decode to level 0).
        self.coded = np.nonzero(sizes > 0)[0]
        self._starts = self.offsets[self.coded]

    def encode_levels(self, levels: np.ndarray) -> np.ndarray:
        """``(m, n_params)`` level indices -> ``(m, n_bits)`` int8 canonical codes."""
        lv = np.asarray(levels, dtype=np.int64)
        coded = lv[:, self.coded]
        bad = (coded < 0) | (coded >= self.n_levels[self.coded])
        if np.any(bad):
            k = int(self.coded[np.nonzero(bad.any(axis=0))[0][0]])
            raise ValueError(
                f"Levels out of range for parameter {self.names[k]!r} "
                f"({int(self.n_levels[k])} levels)."
            )
        per_bit = lv[:, self.group]
        pos = self.position
        kind = self.bit_kind
        bits = np.where(
            kind == ONE_HOT,
            per_bit == pos,
            np.where(kind == BINARY, (per_bit >> pos) & 1, pos < per_bit),
        )
        return bits.astype(np.int8, order="C")  # row-major like the per-parameter codes

    def _segment_sums(self, values: np.ndarray) -> np.ndarray:
        """Per coded parameter sums of ``values`` ``(m, n_bits)`` -> ``(m, len(coded))``."""
        if self.n_bits == 0:
            return np.zeros((values.shape[0], 0), dtype=np.int64)
        return np.add.reduceat(values, self._starts, axis=1)

    def decode_levels(self, bits: np.ndarray) -> np.ndarray:
        """``(m, n_bits)`` bitstrings -> ``(m, n_params)`` levels, repairing invalid codes: a
        one-hot code takes its lowest set bit (level 0 when none is set), a unary or domain-wall
        code its number of set bits, a binary code its value capped at the last level."""
        b = np.asarray(bits, dtype=np.int64)
        m = b.shape[0]
        out = np.zeros((m, len(self.n_levels)), dtype=np.int64)
        if not len(self.coded):
            return out
        pos = self.position
        ones = self._segment_sums(b)
        values = self._segment_sums(b << np.where(self.bit_kind == BINARY, pos, 0))
        unset = self.n_bits  # larger than every position
        first = np.minimum.reduceat(np.where(b != 0, pos, unset), self._starts, axis=1)
        kind = self.kind[self.coded]
        out[:, self.coded] = np.where(
            kind == ONE_HOT,
            np.where(first == unset, 0, first),
            np.where(kind == BINARY, np.minimum(values, self.n_levels[self.coded] - 1), ones),
        )
        return out

    def feasible(self, bits: np.ndarray) -> np.ndarray:
        """Whether every parameter's code is valid, per bitstring: ``(m, n_bits)`` -> ``(m,)``."""
        b = np.asarray(bits, dtype=np.int64)
        ok = np.ones(b.shape[0], dtype=bool)
        if not len(self.coded):
            return ok
        kind = self.kind[self.coded]
        ones = self._segment_sums(b)
        ok &= np.all((kind != ONE_HOT) | (ones == 1), axis=1)
        values = self._segment_sums(b << np.where(self.bit_kind == BINARY, self.position, 0))
        ok &= np.all((kind != BINARY) | (values < self.n_levels[self.coded]), axis=1)
        # A domain-wall code is valid when no bit is set above an unset one.
        steps = np.nonzero((self.bit_kind == DOMAIN_WALL) & (self.position > 0))[0]
        if len(steps):
            ok &= ~np.any(b[:, steps] > b[:, steps - 1], axis=1)
        return ok

    def penalty(self) -> QUBO:
        """The sum of the parameters' penalties: ``(sum x - 1)^2`` on each one-hot code and one
        unit per "0 then 1" step of each domain-wall code; binary and unary codes have none."""
        n = self.n_bits
        kind, pos, group = self.bit_kind, self.position, self.group
        one_hot = kind == ONE_HOT
        stepped = (kind == DOMAIN_WALL) & (pos > 0)
        lin = np.where(one_hot, -1.0, np.where(stepped, 1.0, 0.0))
        quad = np.zeros((n, n))
        hot = np.nonzero(one_hot)[0]
        if len(hot):
            same = group[hot][:, None] == group[hot][None, :]
            rows, cols = np.nonzero(np.triu(same, 1))
            quad[hot[rows], hot[cols]] = 2.0
        steps = np.nonzero(stepped)[0]
        quad[steps - 1, steps] = -1.0
        offset = float(np.count_nonzero(self.kind[self.coded] == ONE_HOT))
        return QUBO._unchecked(lin, quad, offset)
