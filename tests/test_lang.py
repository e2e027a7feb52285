"""The modelling language: types, ranges and names are checked when the model is built."""

import pytest

from hacheck.lang import (
    Bool, Elem, Enum, Int, Map, Model, ModelError, Set, count, exists, forall, ite, set_of,
)
from hacheck.lang.expr import show
from hacheck.lang.interp import eval_expr


def test_expression_has_no_truth_value():
    m = Model("t")
    x = m.var("x", Bool, init=False)
    with pytest.raises(ModelError, match="no truth value"):
        if x:  # noqa: SIM108 - the point of the test
            pass


def test_bool_assigned_to_int_is_a_type_error_with_location():
    m = Model("t")
    n = m.var("n", Int(0, 3), init=0)
    b = m.var("b", Bool, init=False)
    with pytest.raises(ModelError) as e:
        @m.action()
        def bad():
            return True, {n: b}
    assert "cannot assign" in str(e.value)
    assert "test_lang.py:" in str(e.value)


def test_constant_outside_range_is_rejected():
    m = Model("t")
    n = m.var("n", Int(0, 3), init=0)
    with pytest.raises(ModelError, match="outside"):
        @m.action()
        def bad():
            return True, {n: 4}


def test_initial_value_outside_range_is_rejected():
    m = Model("t")
    with pytest.raises(ModelError, match="outside Int"):
        m.var("n", Int(0, 3), init=5)


def test_unknown_sort_element_and_enum_value():
    m = Model("t")
    H = m.sort("Host", ["h1", "h2"])
    up = m.var("up", Map(H, Bool), init=True)
    with pytest.raises(ModelError, match="no element 'h3'"):
        up["h3"]
    s = m.var("s", Enum("a", "b"), init="a")
    with pytest.raises(ModelError, match="'c' is not one of"):
        s == "c"


def test_comparing_incompatible_types():
    m = Model("t")
    n = m.var("n", Int(0, 3), init=0)
    b = m.var("b", Bool, init=False)
    with pytest.raises(ModelError, match="cannot compare"):
        n == b


def test_assigning_a_field_twice_in_one_action():
    m = Model("t")
    n = m.var("n", Int(0, 3), init=0)
    H = m.sort("H", 2)
    owner = m.var("owner", Map(H, Int(0, 3)), init=0)
    with pytest.raises(ModelError, match="twice"):
        @m.action()
        def bad():
            return True, {owner[H[0]]: 1, owner.at(H[0]): 2, n: 1}


def test_quantifiers_expand_over_the_sort():
    m = Model("t")
    H = m.sort("H", ["a", "b", "c"])
    up = m.var("up", Map(H, Bool), init={"a": True, "b": False, "c": True})
    (state,) = m.init_states()
    assert eval_expr(count(H, lambda h: up[h]), state) == 2
    assert eval_expr(exists(H, lambda h: ~up[h]), state) == 1
    assert eval_expr(forall(H, lambda h: up[h]), state) == 0


def test_dynamic_index_and_optional_elements():
    m = Model("t")
    H = m.sort("H", ["a", "b"])
    load = m.var("load", Map(H, Int(0, 5)), init={"a": 2, "b": 4})
    owner = m.var("owner", Elem(H, optional=True), init="b")
    (state,) = m.init_states()
    assert eval_expr(load[owner], state) == 4
    assert eval_expr(owner.is_some(), state) == 1
    assert show(owner == None) == "owner == None"  # noqa: E711


def test_sets():
    m = Model("t")
    H = m.sort("H", ["a", "b", "c"])
    s = m.var("s", Set(H), init={"a"})
    (state,) = m.init_states()
    assert eval_expr(s.has("a"), state) == 1
    assert eval_expr(s.with_("b").size(), state) == 2
    assert eval_expr((s | set_of(H, ["c"])).size(), state) == 2
    assert eval_expr(s.subset_of(set_of(H, ["a", "b"])), state) == 1
    assert eval_expr(s.without("a").is_empty(), state) == 1


def test_constant_folding_and_ranges():
    m = Model("t")
    n = m.var("n", Int(0, 3), init=0)
    assert isinstance(n + 0, type(n))  # x + 0 is x
    e = n + 2
    assert (e.type.lo, e.type.hi) == (2, 5)
    assert show(n < 10) == "true"  # decided by the range
    assert show(ite(True, n, 1)) == "n"


def test_fault_budget_counts_only_faults():
    from hacheck.explicit.search import check

    m = Model("t")
    H = m.sort("H", 3)
    up = m.var("up", Map(H, Bool), init=True)
    m.fault_budget(1)

    @m.action(h=H, fault=True)
    def crash(h):
        return up[h], {up[h]: False}

    @m.action(h=H, env=True)
    def repair(h):
        return ~up[h], {up[h]: True}

    m.invariant("two_up", count(H, lambda h: up[h]) >= 2)
    r = check(m.freeze())
    assert r.properties[0].verdict == "holds"
    # states: all up (faults=0); one down (3, faults=1); all up again with faults=1
    assert r.stats.states == 5


def test_fault_actions_cannot_be_fair():
    m = Model("t")
    with pytest.raises(ModelError, match="never fair"):
        m.action(fault=True, fair="weak")


def test_typed_constants_for_ite_branches():
    m = Model("t")
    Phase = Enum("lock", "done")
    Host = m.sort("Host", ["a", "b"])
    Owner = Elem(Host, optional=True)
    ph = m.var("ph", Phase, init="lock")
    own = m.var("own", Owner, init="a")
    (state,) = m.init_states()
    assert eval_expr(ite(own.is_some(), Phase("done"), "lock") == "done", state) == 1
    assert eval_expr(ite(ph == "lock", Owner(None), own).is_none(), state) == 1
    with pytest.raises(ModelError, match="type it"):
        ite(ph == "lock", "lock", "done")
