"""Traces round-trip through ITF; malformed files are bad input that names the spot."""

import json

import pytest

from hacheck.lang import BadInput
from hacheck.trace import Step, Trace, read_itf, to_itf, write_itf


def sample(loop=None):
    states = (
        {"up": {"h1": True, "h2": True}, "n": 0, "s": [], "mode": "idle", "owner": None},
        {"up": {"h1": False, "h2": True}, "n": 1, "s": ["h2"], "mode": "busy", "owner": "h2"},
    )
    steps = (Step("crash", (("h", "h1"),), "fault"),)
    if loop is not None:
        steps = steps + (Step("repair", (("h", "h1"),), "env"),)
    types = {"up": "Map(Host -> Bool)", "n": "Int(0, 3)", "s": "Set(Host)", "mode": "Enum(idle, busy)",
             "owner": "Elem(Host, optional)"}
    return Trace("toy", ("up", "n", "s", "mode", "owner"), states, steps, loop=loop, property_name="p",
                 params={"hosts": 2}, var_types=types, fairness=("WF(repair)",) if loop is not None else ())


def test_itf_uses_apalache_encodings():
    d = to_itf(sample())
    assert d["#meta"]["format"] == "ITF"
    s1 = d["states"][1]
    assert s1["n"] == {"#bigint": "1"}
    assert s1["up"] == {"#map": [["h1", False], ["h2", True]]}
    assert s1["s"] == {"#set": ["h2"]}
    assert s1["#meta"] == {"index": 1, "action": "crash", "params": {"h": "h1"}, "kind": "fault"}


@pytest.mark.parametrize("loop", [None, 0])
def test_round_trip(tmp_path, loop):
    t = sample(loop)
    p = write_itf(t, tmp_path / "t.itf.json")
    back = read_itf(p)
    assert back.states == t.states
    assert back.steps == t.steps
    assert back.loop == loop
    assert back.property_name == "p"
    assert back.fairness == t.fairness


@pytest.mark.parametrize(
    "content,needle",
    [
        ("{not json", "not valid JSON"),
        ("[]", "JSON object"),
        ('{"states": []}', "'vars'"),
        ('{"vars": ["x"], "states": []}', "non-empty"),
        ('{"vars": ["x"], "states": [{"y": 1}]}', "states[0]: missing variable(s) x"),
        ('{"vars": ["x"], "states": [{"x": {"#bigint": "one"}}]}', "states[0].x"),
        ('{"vars": ["x"], "states": [{"x": 1}], "loop": 5}', "'loop'"),
        ('{"vars": ["x"], "states": [{"x": {"#map": [[1]]}}]}', "#map"),
    ],
)
def test_corrupt_files_are_bad_input(tmp_path, content, needle):
    p = tmp_path / "bad.itf.json"
    p.write_text(content)
    with pytest.raises(BadInput) as e:
        read_itf(p)
    assert needle in str(e.value)
    assert str(p) in str(e.value)


def test_reads_a_quint_style_trace(tmp_path):
    p = tmp_path / "q.itf.json"
    p.write_text(json.dumps({"vars": ["x"], "states": [{"#meta": {"index": 0}, "x": {"#bigint": "2"}},
                                                        {"#meta": {"index": 1}, "x": {"#bigint": "3"}}]}))
    t = read_itf(p)
    assert [s["x"] for s in t.states] == [2, 3]
    assert t.length == 1


def test_trace_shape_names_a_lasso_by_stem_and_loop():
    from hacheck.trace import Step, Trace

    st = ({"x": 0}, {"x": 1}, {"x": 2})
    steps = (Step("a", (), "protocol"), Step("b", (), "protocol"))
    path = Trace(model="m", vars=("x",), states=st, steps=steps)
    lasso = Trace(model="m", vars=("x",), states=st, steps=steps + (Step("c", (), "protocol"),), loop=1)
    assert (path.shape, lasso.shape) == ("2", "stem 1 + loop 2")


def test_optional_values_are_one_encoding_present_or_absent():
    """Issue 16 item 9: an absent optional element was a Quint ``{"tag": "None"}`` variant while a
    present one was a bare string, which itf-py cannot read. Both are now a set of at most one."""
    d = to_itf(sample())
    assert d["states"][0]["owner"] == {"#set": []}
    assert d["states"][1]["owner"] == {"#set": ["h2"]}
    t = Trace("m", ("o",), ({"o": {"a": None, "b": "a"}},), (), var_types={"o": "Map(H -> Elem(H, optional))"})
    assert to_itf(t)["states"][0]["o"] == {"#map": [["a", {"#set": []}], ["b", {"#set": ["a"]}]]}


@pytest.mark.parametrize("loop", [None, 0])
def test_itf_py_reads_our_traces(loop):
    itf_py = pytest.importorskip("itf_py")
    d = to_itf(sample(loop))
    t = itf_py.trace_from_json(d)
    assert t.loop == loop
    assert t.states[0].values["owner"] == frozenset()
    assert t.states[1].values["owner"] == frozenset({"h2"})
    assert t.states[1].values["up"] == {"h1": False, "h2": True}


def test_each_state_says_which_action_was_taken_and_its_picks_as_quint_does():
    """Quint's --mbt traces carry mbt::actionTaken and mbt::nondetPicks in every state."""
    itf_py = pytest.importorskip("itf_py")
    d = to_itf(sample())
    assert "mbt::actionTaken" in d["vars"] and "mbt::nondetPicks" in d["vars"]
    assert d["states"][0]["mbt::actionTaken"] == "init" and d["states"][0]["mbt::nondetPicks"] == {}
    assert d["states"][1]["mbt::actionTaken"] == "crash"
    assert d["states"][1]["mbt::nondetPicks"] == {"h": {"tag": "Some", "value": "h1"}}
    picks = itf_py.trace_from_json(d).states[1].values["mbt::nondetPicks"]
    assert picks.h.value == "h1"


def test_reads_quint_option_variants(tmp_path):
    p = tmp_path / "q.itf.json"
    none = {"tag": "None", "value": {"#tup": []}}
    p.write_text(json.dumps({"#meta": {"varTypes": {"o": "Elem(H, optional)"}}, "vars": ["o"],
                             "states": [{"o": none}, {"o": {"tag": "Some", "value": "h1"}}, {"o": "h2"}]}))
    assert [s["o"] for s in read_itf(p).states] == [None, "h1", "h2"]
