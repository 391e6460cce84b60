"""Properties of the PHP-style form parser (issue 11): whatever the bytes, it answers with
parameters or one of our own errors; the limits hold on what it returns; well-formed PHP arrays
come back as they were sent, from a form and from JSON."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geninvoices.api import phpform
from geninvoices.api.phpform import Limits
from geninvoices.errors import GenInvoicesError, RequestTooLarge

SETTINGS = settings(max_examples=250, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])

# small limits often: that is where an off-by-one shows
limits = st.builds(Limits, st.integers(1, 40), st.sampled_from([1, 2, 3, 12]),
                   st.sampled_from([1, 2, 6]))
# text as a client may send it, lone surrogates and NUL included
any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=12)
# keys that share heads often, so repeats, appends and mixed forms meet
key_text = st.one_of(any_text, st.sampled_from([
    "a", "b", "a[]", "a[b]", "a[b][]", "a[0]", "a[0][1]", "a[1]", "[x]", "a[", "a]b", "a[b]c",
    "a[][]", "a[][b]", "a[b][c][d][e][f][g]", "b[]"]))
form_bytes = st.one_of(
    st.binary(max_size=200),
    st.lists(st.tuples(key_text, any_text), max_size=30).map(
        lambda pairs: "&".join(f"{quote(k, errors='surrogatepass')}="
                               f"{quote(v, errors='surrogatepass')}" for k, v in pairs).encode()))
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), any_text),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(any_text, inner, max_size=5),
    max_leaves=30)
json_bytes = st.one_of(
    st.binary(max_size=100),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.dictionaries(any_text, json_values, max_size=8).map(
        lambda d: json.dumps(d, ensure_ascii=False).encode("utf-8", "surrogatepass")),
    st.integers(1, 3000).map(lambda n: b'{"a":' + b"[" * n + b"]" * n + b"}"))


def nesting(value) -> int:
    if isinstance(value, dict):
        return 1 + max(map(nesting, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(nesting, value), default=0)
    return 0


def walk(value):
    yield value
    children = value.values() if isinstance(value, dict) else value \
        if isinstance(value, list) else []
    for child in children:
        yield from walk(child)


def assert_within(params: dict, lim: Limits) -> None:
    assert all(isinstance(k, str) for k in params)
    for key, value in params.items():
        assert nesting(value) <= lim.max_key_depth, (key, value)
        for node in walk(value):
            if isinstance(node, (dict, list)):
                assert len(node) <= lim.max_array_elements, (key, value)
            else:
                assert isinstance(node, str)
                phpform.check_text(node)  # no surrogate, no NUL got through
        for node in walk(value):
            if isinstance(node, dict):
                for k in node:
                    phpform.check_text(k)


@SETTINGS
@given(form_bytes, limits)
def test_a_form_gives_parameters_within_the_limits_or_our_error(raw, lim):
    try:
        params = phpform.build(phpform.parse_urlencoded(raw, lim), lim)
    except GenInvoicesError:
        return
    assert_within(params, lim)


@SETTINGS
@given(json_bytes, limits)
def test_json_gives_parameters_within_the_limits_or_our_error(raw, lim):
    try:
        params = phpform.from_json(raw, lim)
    except GenInvoicesError:
        return
    assert_within(params, lim)
    assert sum(1 for v in params.values() for _ in walk(v)) <= lim.max_params


@SETTINGS
@given(st.lists(st.tuples(key_text, st.one_of(any_text, st.lists(any_text, max_size=3))),
                max_size=30), limits)
def test_build_of_any_pairs_never_raises_another_error(pairs, lim):
    try:
        params = phpform.build(pairs, lim)
    except GenInvoicesError:
        return
    assert len(params) <= lim.max_params


def test_a_repeated_plain_key_counts_against_the_array_limit():
    """Found by the property above: ``a=1&a=2`` made a 2-element array past a limit of 1."""
    lim = Limits(max_params=10, max_array_elements=1, max_key_depth=5)
    with pytest.raises(RequestTooLarge, match="more than 1 elements in a"):
        phpform.build([("a", "1"), ("a", "2")], lim)
    assert phpform.build([("a", "1"), ("a", "2")], Limits(10, 2, 5)) == {"a": ["1", "2"]}


# --- round trips of well-formed PHP arrays --------------------------------------------------

name = st.text(st.characters(codec="utf-8", exclude_characters="[]\0"), min_size=1, max_size=8)
scalar = st.text(st.characters(codec="utf-8", exclude_characters="\0"), max_size=10)
php_value = st.deferred(lambda: st.one_of(
    scalar, scalar, st.lists(scalar, min_size=1, max_size=4),
    st.dictionaries(name, php_value, min_size=1, max_size=3)))
php_arrays = st.dictionaries(name, php_value, max_size=6)
ROOMY = Limits(max_params=1000, max_array_elements=100, max_key_depth=20)


def http_build_query(params: dict, prefix: str = "") -> list[tuple[str, str]]:
    """PHP's encoding: nested keys in brackets, a list of scalars as ``key[]``."""
    pairs = []
    for key, value in params.items():
        full = f"{prefix}[{key}]" if prefix else key
        if isinstance(value, dict):
            pairs += http_build_query(value, full)
        elif isinstance(value, list):
            pairs += [(full + "[]", item) for item in value]
        else:
            pairs.append((full, value))
    return pairs


@SETTINGS
@given(php_arrays)
def test_a_php_array_comes_back_from_its_form(params):
    raw = "&".join(f"{quote(k)}={quote(v)}" for k, v in http_build_query(params)).encode()
    assert phpform.build(phpform.parse_urlencoded(raw, ROOMY), ROOMY) == params


@SETTINGS
@given(php_arrays)
def test_a_php_array_comes_back_from_json(params):
    assert phpform.from_json(json.dumps(params).encode(), ROOMY) == params


@SETTINGS
@given(php_arrays, php_arrays)
def test_the_body_wins_per_top_level_key(query, body):
    merged = phpform.overlay(query, body)
    assert merged == {**query, **body} and set(merged) == set(query) | set(body)


@SETTINGS
@given(st.binary(max_size=300), st.sampled_from(["json", "xml", "nvp", "JSON"]))
def test_a_responsetype_in_any_readable_bytes_is_found(noise, fmt):
    raw = noise.replace(b"responsetype", b"") + b"&responsetype=" + fmt.encode()
    assert phpform.sniff_responsetype(raw) == {"responsetype": fmt}
