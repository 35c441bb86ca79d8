from __future__ import annotations

import math

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
import numpy as np
from optuna.distributions import BaseDistribution
from optuna.distributions import CategoricalDistribution
from optuna.distributions import FloatDistribution
from optuna.distributions import IntDistribution
import pytest

from optuna_qnas._qubo import ENCODINGS
from optuna_qnas._qubo import ParamEncoding
from optuna_qnas._qubo import SearchSpaceEncoding


@st.composite
def distributions(draw: st.DrawFn) -> BaseDistribution:
    kind = draw(
        st.sampled_from(["cat", "int", "intstep", "intlog", "float", "floatstep", "floatlog"])
    )
    if kind == "cat":
        atoms = st.one_of(
            st.none(),
            st.booleans(),
            st.integers(-5, 5),
            st.floats(-5, 5, allow_nan=False),
            st.text(max_size=3),
        )
        choices = draw(st.lists(atoms, min_size=1, max_size=40))
        unique: list = []
        for c in choices:
            # Optuna compares choices with ==, so 1, 1.0 and True are the same choice.
            if not any(type(c) is type(u) and c == u for u in unique) and not any(
                c == u for u in unique
            ):
                unique.append(c)
        return CategoricalDistribution(unique)
    if kind in ("int", "intstep"):
        low = draw(st.integers(-50, 50))
        step = 1 if kind == "int" else draw(st.integers(1, 7))
        high = low + step * draw(st.integers(0, 60))
        return IntDistribution(low, high, step=step)
    if kind == "intlog":
        low = draw(st.integers(1, 20))
        return IntDistribution(low, low + draw(st.integers(0, 2000)), log=True)
    if kind == "floatstep":
        low = draw(st.floats(-10, 10))
        step = draw(st.sampled_from([0.1, 0.25, 0.5, 1.0]))
        n = draw(st.integers(0, 40))
        return FloatDistribution(low, low + n * step, step=step)
    if kind == "floatlog":
        low = draw(st.floats(1e-6, 1.0))
        return FloatDistribution(low, low * draw(st.floats(1.0, 1e4)), log=True)
    low = draw(st.floats(-100, 100))
    return FloatDistribution(low, low + draw(st.floats(0, 100)))


def _contains(dist: BaseDistribution, value: object) -> bool:
    return dist._contains(dist.to_internal_repr(value))


pytestmark = pytest.mark.filterwarnings("ignore:The distribution is specified by")


@settings(max_examples=300, deadline=None)
@given(dist=distributions(), code=st.sampled_from(ENCODINGS), data=st.data())
def test_round_trip_and_validity(dist: BaseDistribution, code: str, data: st.DataObject) -> None:
    if code == "unary" and isinstance(dist, CategoricalDistribution):
        with pytest.raises(ValueError, match="unary"):
            ParamEncoding("p", dist, code)
        return
    enc = ParamEncoding("p", dist, code)
    # Every level round-trips through its canonical code, which is feasible.
    for level in range(enc.n_levels):
        bits = enc.encode_level(level)
        assert bits.shape == (enc.n_bits,)
        assert enc.feasible(bits[None])[0]
        assert enc.decode_levels(bits[None])[0] == level
        assert float(enc.penalty().energies(bits)) == pytest.approx(0.0)
        value = enc.value_of(level)
        assert _contains(dist, value), (dist, level, value)
        if not isinstance(dist, CategoricalDistribution):
            assert not isinstance(value, np.generic)
            assert isinstance(value, int if isinstance(dist, IntDistribution) else float)
        # Unbinned values map back to their own level; binned ones stay in their bin.
        assert enc.level_of(value) == level
        refined = enc.value_in_level(level, np.random.RandomState(0))
        assert _contains(dist, refined) and enc.level_of(refined) == level
    # Any bitstring decodes (repairs) to a valid level.
    if enc.n_bits:
        raw = np.array(
            data.draw(st.lists(st.integers(0, 1), min_size=enc.n_bits, max_size=enc.n_bits))
        )
        level = enc.decode_levels(raw[None])[0]
        assert 0 <= level < enc.n_levels
        assert _contains(dist, enc.value_of(int(level)))


@settings(max_examples=200, deadline=None)
@given(dist=distributions(), data=st.data())
def test_values_of_the_distribution_round_trip(
    dist: BaseDistribution, data: st.DataObject
) -> None:
    enc = ParamEncoding("p", dist)
    if isinstance(dist, CategoricalDistribution):
        value = data.draw(st.sampled_from(dist.choices))
        assert enc.value_of(enc.level_of(value)) == value or (
            isinstance(value, float) and math.isnan(value)
        )
    elif not enc.is_binned:
        g = data.draw(st.integers(0, enc.n_levels - 1))
        value = enc.value_of(g)
        assert enc.value_of(enc.level_of(value)) == value


@pytest.mark.parametrize("code", ["one_hot", "domain_wall"])
@pytest.mark.parametrize("n_levels", [2, 3, 5, 7])
def test_penalty_minima_are_exactly_the_valid_codes(code: str, n_levels: int) -> None:
    enc = ParamEncoding("p", CategoricalDistribution(list(range(n_levels))), code)
    xs, energies = enc.penalty().brute_force()
    valid = enc.feasible(xs)
    assert valid.sum() == n_levels
    np.testing.assert_allclose(energies[valid], 0.0)
    assert np.all(energies[~valid] >= 1.0 - 1e-12)
    assert (~valid).any() or enc.n_bits == 1  # only a single domain-wall bit has no invalid code


def test_search_space_penalty_brute_force() -> None:
    space = {
        "a": CategoricalDistribution(["x", "y", "z"]),
        "b": IntDistribution(0, 3),
        "c": CategoricalDistribution([None, True, 2.5, "s", 7]),
    }
    enc = SearchSpaceEncoding(space, {"c": "binary"})
    xs, energies = enc.penalty().brute_force()
    # Binary codes carry no penalty, so minima are the bitstrings whose one-hot / domain-wall
    # parts are valid; every one of them decodes to a valid configuration.
    zero = np.isclose(energies, 0.0)
    a_ok = enc.params[0].feasible(xs[:, enc._slice(0)]) & enc.params[1].feasible(
        xs[:, enc._slice(1)]
    )
    np.testing.assert_array_equal(zero, a_ok)
    for levels in enc.decode_levels(xs[zero]):
        values = enc.values_of(levels)
        assert values["a"] in ("x", "y", "z") and 0 <= values["b"] <= 3


def test_defaults_and_bit_counts() -> None:
    enc = SearchSpaceEncoding(
        {
            "op": CategoricalDistribution(list("abcde")),
            "flag": CategoricalDistribution([True, False]),
            "big": CategoricalDistribution(list(range(1000))),
            "depth": IntDistribution(1, 8),
            "width": IntDistribution(1, 1024, log=True),
            "lr": FloatDistribution(1e-5, 1e-1, log=True),
            "fixed": IntDistribution(3, 3),
        }
    )
    codes = {p.name: (p.encoding, p.n_bits) for p in enc.params}
    assert codes["op"] == ("one_hot", 5)
    assert codes["flag"] == ("binary", 1)
    assert codes["big"] == ("binary", 10)  # a 1000-choice categorical stays compact
    assert codes["depth"] == ("domain_wall", 7)
    assert codes["width"][0] == "domain_wall" and enc.params[4].is_binned
    assert codes["lr"] == ("domain_wall", 7)  # 8 log-spaced bins
    assert codes["fixed"][1] == 0
    assert enc.n_bits == sum(b for _, b in codes.values())


def test_log_bins_are_log_spaced() -> None:
    enc = ParamEncoding("lr", FloatDistribution(1e-6, 1.0, log=True), float_bins=6)
    centres = [enc.value_of(k) for k in range(enc.n_levels)]
    ratios = np.diff(np.log10(centres))
    np.testing.assert_allclose(ratios, 1.0)


def test_repairs_are_deterministic() -> None:
    enc = ParamEncoding("p", CategoricalDistribution(list("abcd")), "one_hot")
    np.testing.assert_array_equal(
        enc.decode_levels(np.array([[0, 0, 0, 0], [0, 1, 1, 0], [1, 0, 0, 1]])), [0, 1, 0]
    )
    enc = ParamEncoding(
        "p", CategoricalDistribution(list("abcde")), "binary"
    )  # 3 bits, codes 5-7 invalid
    np.testing.assert_array_equal(
        enc.decode_levels(np.array([[1, 1, 1], [0, 0, 1], [1, 0, 1]])), [4, 4, 4]
    )
    enc = ParamEncoding("p", IntDistribution(0, 4), "domain_wall")
    np.testing.assert_array_equal(
        enc.decode_levels(np.array([[0, 1, 0, 1], [1, 1, 0, 0]])), [2, 2]
    )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(distribution=CategoricalDistribution(["a", "b", "c"]), encoding="unary"), "unary"),
        (dict(distribution=IntDistribution(0, 3), encoding="gray"), "Unknown encoding"),
        (dict(distribution=object(), encoding=None), "cannot encode"),
    ],
)
def test_bad_input(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ParamEncoding("p", **kwargs)


def test_log_range_one_float_wide_keeps_every_level_round_trip() -> None:
    # Found by the property test above: log-space edges 1e-16 apart are distinct floats but map
    # back to one value, so a level's representative read back as its neighbour's level.
    dist = FloatDistribution(1.0, 1.0000000000000002, log=True)
    enc = ParamEncoding("p", dist, "one_hot")
    assert enc.n_levels == 1  # one value pair, no room for a second bin boundary inside
    for level in range(enc.n_levels):
        value = enc.value_of(level)
        assert _contains(dist, value) and enc.level_of(value) == level
    wide = ParamEncoding("q", FloatDistribution(1e-5, 1e-1, log=True), "one_hot")
    assert wide.n_levels == 8
    for level in range(wide.n_levels):
        for seed in range(5):
            v = wide.value_in_level(level, np.random.RandomState(seed))
            assert wide.level_of(v) == level and 1e-5 <= v <= 1e-1


def test_a_space_of_more_configurations_than_a_float_holds_is_counted_exactly() -> None:
    import warnings

    from optuna.distributions import CategoricalDistribution

    from optuna_qnas._qubo._encoding import SearchSpaceEncoding

    space = {f"x{i:04d}": CategoricalDistribution((0, 1)) for i in range(1100)}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow to inf on the way
        enc = SearchSpaceEncoding(space)
        assert not enc.is_binned
        assert enc.n_configurations == 2**1100
