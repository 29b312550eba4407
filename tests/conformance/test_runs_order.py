"""Conformance: how W&B sorts runs (`api.runs(order=...)`), the value contract's order part.

The runs are conformance_runs.py's `sort-*`: summary `m` is 0.5 (a), 2 (b), -inf (c),
+inf (d), "apple" (e), "Banana" (f), true (g), false (h), NaN (i), {"max": 1} (j), absent
(k), 7 (l) and 7 (m), logged in that order. One test per assumption (README).
"""

from __future__ import annotations

import pytest
from conformance_target import Target


def both(target: Target, among: str, key: str = "summary_metrics.m") -> tuple[list[str], list[str]]:
    """The names in ascending and in descending order of `key`, among `sort-<letter>` runs."""
    runs = tuple(f"sort-{letter}" for letter in among)
    return (
        [n[5:] for n in target.names(order=f"+{key}", among=runs)],
        [n[5:] for n in target.names(order=f"-{key}", among=runs)],
    )


def test_sort_numbers_with_infinities(runs: Target) -> None:
    up, down = both(runs, "abcd")
    assert up == list("cabd"), f"ascending: -inf, 0.5, 2, +inf expected, got {up}"
    assert down == list("dbac"), f"descending: +inf, 2, 0.5, -inf expected, got {down}"


def test_sort_type_tiers(runs: Target) -> None:
    """Numbers, then strings, then booleans, then objects: the tiers keep their order in
    both directions; only the values inside a tier follow the direction."""
    up, down = both(runs, "aefghj")
    assert up == list("afehgj"), f"ascending: 0.5, 'Banana', 'apple', false, true, {{}}: {up}"
    assert down == list("aefghj"), f"descending: 0.5, 'apple', 'Banana', true, false, {{}}: {down}"


def test_sort_strings_by_code_point(runs: Target) -> None:
    up, down = both(runs, "ef")
    assert up == list("fe") and down == list("ef"), (
        f"'Banana' < 'apple' by code point (upper case first), got {up} / {down}"
    )


def test_sort_nan_after_booleans_before_objects(runs: Target) -> None:
    up, down = both(runs, "agij")
    assert up == list("agij") and down == list("agij"), (
        f"NaN sorts after numbers and booleans, before objects, in both directions: {up} / {down}"
    )


def test_missing_values_sort_last(runs: Target) -> None:
    up, down = both(runs, "abk")
    assert up == list("abk") and down == list("bak"), (
        f"a run without the metric sorts last in both directions: {up} / {down}"
    )


def test_sort_ties_by_creation_order(runs: Target) -> None:
    up, down = both(runs, "blm")
    assert up == list("blm") and down == list("lmb"), (
        f"runs with equal values keep their creation order in both directions: {up} / {down}"
    )


@pytest.mark.parametrize(
    "order",
    ["-summary_metrics.m,+config.v", "", "~summary_metrics.m", "+"],
)
def test_order_is_exactly_one_key(runs: Target, order: str) -> None:
    from wandb.sdk.lib.service.service_connection import WandbApiFailedError

    try:
        runs.raw_runs(order=order)
    except WandbApiFailedError:
        return
    pytest.fail(
        f"order {order!r} was accepted: W&B sorts by exactly one [+|-]key, and anything else "
        "should be an error rather than a silent default"
    )


def test_null_sorts_as_missing(runs: Target) -> None:
    """A config value logged as None sorts with the runs that lack the key: last, in creation
    order, in both directions."""
    among = ("filt-int", "filt-null", "filt-absent")
    for direction in "+-":
        assert runs.names(order=f"{direction}config.v", among=among) == list(among), direction


def test_nested_summary_is_walked_by_dots(runs: Target) -> None:
    """`summary_metrics.m.max` reads `max` inside the summary value `m` (what
    `define_metric(summary="max")` logs)."""
    assert runs.names({"summary_metrics.m.max": 1}, among=("sort-a", "sort-j")) == ["sort-j"]
    up = runs.names(order="+summary_metrics.m.max", among=("sort-a", "sort-j"))
    assert up == ["sort-j", "sort-a"], "sort-a has no m.max: it sorts last"
