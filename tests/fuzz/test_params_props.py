"""Properties of every action's parameter parsing (issue 11): for any PHP-style values (str,
list, dict, nested) each parameter type and each action's ``Params`` give a value of the
promised type and range, or ``BadParameter``, never another exception."""

from __future__ import annotations

import datetime as dt
import sys
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic_core import PydanticCustomError

from geninvoices import actions
from geninvoices.actions import params as p
from geninvoices.errors import BadParameter

SETTINGS = settings(max_examples=200, deadline=None, derandomize=True)

# digits, signs, spaces, dots and dates are where parsers slip; any text covers the rest
edgy = st.sampled_from(["", " ", "0", "00", "-1", "+1", "1.0", "1e3", " 7 ", "\t7", "2147483647",
                        "2147483648", "9" * 11, "０１", "٣", "1,2", ",", "1,,2", "0.001", "1.",
                        ".5", "9999999999999.99", "99999999999999", "2026-02-29", "2024-02-29",
                        "2026-13-01", "0000-00-00", "2026-01-01 23:59:59", "2026-01-01 24:00:00",
                        "2026-01-01T00:00:00", "true", "on", "false", "null", "\x00", "\udc00"])
scalar = st.one_of(edgy, st.text(max_size=12), st.integers(0, 3000).map(str))
php_value = st.recursive(scalar, lambda inner: st.lists(inner, max_size=4)
                         | st.dictionaries(scalar, inner, max_size=4), max_leaves=10)
# also what no form or JSON body yields, in case a caller inside the code passes it
odd = st.one_of(st.none(), st.integers(), st.floats(), st.booleans(), st.binary(max_size=4))

TYPES = {
    p.whole_number: lambda v: type(v) is int and 0 <= v <= p.MAX_ID,
    p.id_list: lambda v: isinstance(v, list) and all(type(i) is int and 0 <= i <= p.MAX_ID
                                                      for i in v),
    p.php_bool: lambda v: type(v) is bool,
    p.text: lambda v: isinstance(v, str),
    p.amount: lambda v: isinstance(v, Decimal) and v >= 0 and -v.as_tuple().exponent <= 2,
    p.date_or_datetime: lambda v: isinstance(v, dt.datetime),
}


@SETTINGS
@pytest.mark.parametrize("parse_one", list(TYPES), ids=lambda f: f.__name__)
@given(value=st.one_of(php_value, odd))
def test_each_type_gives_its_kind_or_a_named_refusal(parse_one, value):
    try:
        parsed = parse_one(value)
    except PydanticCustomError:
        return
    assert TYPES[parse_one](parsed), (value, parsed)


def params_model(action):
    return sys.modules[action.run.__module__].Params


def raw_params(model):
    names = st.sampled_from(sorted(model.model_fields) + ["action", "x", "responsetype"])
    return st.dictionaries(st.one_of(names, scalar), php_value, max_size=8)


@pytest.mark.parametrize("name", sorted(actions.ACTIONS))
def test_each_action_parses_any_values_or_names_the_bad_one(name):
    model = params_model(actions.ACTIONS[name])

    @SETTINGS
    @given(raw_params(model))
    def check(raw):
        try:
            parsed = p.parse(model, raw)
        except BadParameter as error:
            named = error.message.removeprefix("Invalid ").split(":", 1)[0]
            assert named in model.model_fields, error.message
            assert error.message.startswith(f"Invalid {named}: ")
            return
        for field in model.model_fields:
            value = getattr(parsed, field)
            assert value is None or isinstance(value, (int, bool, str, list, Decimal,
                                                        dt.datetime)), (field, value)
    check()


def test_every_action_is_covered():
    assert {params_model(a).__name__ for a in actions.ACTIONS.values()} == {"Params"}
    assert len(actions.ACTIONS) >= 5
