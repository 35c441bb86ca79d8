"""The vectorised whole-vector operations equal the parameters' own, one parameter at a time."""

from __future__ import annotations

import numpy as np
from optuna.distributions import CategoricalDistribution
from optuna.distributions import FloatDistribution
from optuna.distributions import IntDistribution
import pytest

from optuna_qnas import SearchSpaceEncoding


SPACE = {
    "op": CategoricalDistribution(["a", "b", "c", "d", "e"]),
    "flag": CategoricalDistribution([True, False]),
    "depth": IntDistribution(1, 7),
    "width": IntDistribution(8, 256, log=True),
    "lr": FloatDistribution(1e-4, 1e-1, log=True),
    "drop": FloatDistribution(0.0, 0.5, step=0.1),
    "k": IntDistribution(1, 2),
}


def _encodings() -> list[object]:
    cats = ("one_hot", "domain_wall", "binary")
    numeric = ("one_hot", "domain_wall", "binary", "unary")
    mixed = {
        name: (cats if isinstance(d, CategoricalDistribution) else numeric)[i % 3]
        for i, (name, d) in enumerate(SPACE.items())
    }
    return [None, "one_hot", "domain_wall", "binary", "unary", mixed]


def _per_parameter(enc: SearchSpaceEncoding, bits: np.ndarray) -> tuple[np.ndarray, ...]:
    """The same operations done parameter by parameter, with the parameters' own methods."""
    cuts = [slice(enc.offsets[k], enc.offsets[k + 1]) for k in range(len(enc.params))]
    levels = np.stack([p.decode_levels(bits[:, s]) for p, s in zip(enc.params, cuts)], axis=1)
    ok = np.ones(len(bits), dtype=bool)
    for p, s in zip(enc.params, cuts):
        ok &= p.feasible(bits[:, s])
    codes = np.zeros_like(bits, dtype=np.int8)
    lin = np.zeros(enc.n_bits)
    quad = np.zeros((enc.n_bits, enc.n_bits))
    offset = 0.0
    for k, (p, s) in enumerate(zip(enc.params, cuts)):
        if p.n_bits:
            codes[:, s] = p.encode_levels(levels[:, k])
        pen = p.penalty()
        lin[s] += pen.linear
        quad[s, s] += pen.quadratic
        offset += pen.offset
    return levels, ok, codes, lin, quad, offset


@pytest.mark.parametrize("encoding", _encodings())
def test_vectorised_operations_equal_the_per_parameter_ones(encoding: object) -> None:
    enc = SearchSpaceEncoding(SPACE, encoding)  # type: ignore[arg-type]
    rng = np.random.default_rng(0)
    # Random bitstrings: many invalid codes, which decoding must repair the same way.
    bits = rng.integers(0, 2, size=(300, enc.n_bits)).astype(np.int8)
    levels, ok, codes, lin, quad, offset = _per_parameter(enc, bits)
    assert not ok.all() or encoding == "unary"  # the random strings exercise invalid codes
    np.testing.assert_array_equal(enc.decode_levels(bits), levels)
    np.testing.assert_array_equal(enc.feasible(bits), ok)
    np.testing.assert_array_equal(enc.encode_levels(levels), codes)
    # Row-major, as the model's matrix products expect (their rounding depends on the layout).
    assert enc.encode_levels(levels).flags["C_CONTIGUOUS"]
    np.testing.assert_array_equal(enc.feasible(codes), np.ones(len(codes), dtype=bool))
    np.testing.assert_array_equal(enc.decode_levels(codes), levels)
    pen = enc.penalty()
    np.testing.assert_array_equal(pen.linear, lin)
    np.testing.assert_array_equal(pen.quadratic, quad)
    assert pen.offset == offset
    # The penalty is zero exactly on valid codes.
    energies = pen.energies(bits)
    np.testing.assert_array_equal(energies[ok], 0.0)


def test_out_of_range_levels_name_the_parameter() -> None:
    enc = SearchSpaceEncoding(SPACE, "one_hot")
    levels = np.zeros((2, len(SPACE)), dtype=np.int64)
    levels[1, 2] = 99
    with pytest.raises(ValueError, match="'depth'"):
        enc.encode_levels(levels)


def test_wide_binary_space_round_trips() -> None:
    space = {f"x{i}": CategoricalDistribution([0, 1]) for i in range(2000)}
    enc = SearchSpaceEncoding(space)
    rng = np.random.default_rng(1)
    levels = rng.integers(0, 2, size=(16, 2000))
    bits = enc.encode_levels(levels)
    np.testing.assert_array_equal(enc.decode_levels(bits), levels)
    assert enc.feasible(bits).all()
