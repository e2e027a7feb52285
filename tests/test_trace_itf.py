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
    return Trace("toy", ("up", "n", "s", "mode", "owner"), states, steps, loop=loop, property_name="p",
                 params={"hosts": 2}, fairness=("WF(repair)",) if loop is not None else ())


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
