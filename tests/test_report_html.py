"""The HTML report, the "why it fails" explanation, lanes, folded waits and the readable DOT pictures."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hacheck.check import run_check
from hacheck.explain import explain_trace
from hacheck.lang import Bool, Int, Map, Model, ModelError, forall
from hacheck.render.dot import to_graph
from hacheck.render.fold import folds
from hacheck.render.lanes import SHARED, lane_of_key, lanes_of_model, lanes_of_step
from hacheck.report.html import build_html, trace_section
from hacheck.trace import Step, Trace, read_itf, write_itf

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hacheck.cli", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=600)


def quorum_toy(lanes: bool = False) -> Model:
    """Three nodes; a node may commit without a quorum, so two commit different values."""
    m = Model("toy")
    Node = m.sort("Node", ["n1", "n2", "n3"])
    Val = m.sort("Val", ["a", "b"])
    up = m.var("up", Map(Node, Bool), init=True)
    val = m.var("val", Map(Node, Int(0, 2)), init=0)
    ticks = m.var("clock", Int(0, 3), init=0)
    if lanes:
        m.lane("clock", "timer")
        m.lane(Val, lambda v: Node[v.index])

    @m.action(n=Node, v=Val)
    def commit(n, v):
        return up[n] & (val[n] == 0), {val[n]: v.index + 1}

    @m.action(n=Node, fault=True)
    def crash(n):
        return up[n], {up[n]: False}

    m.invariant("agreement", forall(Node, lambda x: forall(Node, lambda y: (val[x] == 0) | (val[y] == 0) | (val[x] == val[y]))))
    _ = ticks
    return m.freeze()


# ---- why it fails -----------------------------------------------------------------------------

def test_why_names_the_failing_instance_with_its_values():
    m = quorum_toy()
    r = run_check(m)
    (p,) = r.properties
    assert p.verdict == "violated" and p.trace is not None
    why = p.extra["why"]
    assert why == list(p.trace.why)
    assert why[0] == "agreement is false in state 2:"
    text = "\n".join(why)
    # the two nodes that disagree, each with its value, and nothing about a node that agrees
    assert re.search(r"val\[n\d\] is [12], not 0", text), text
    assert "val[n1] == val[n2]" in text or "val[n2] == val[n1]" in text or "val[n1] == val[n3]" in text, text


def test_why_is_empty_when_the_property_holds_in_the_last_state():
    m = quorum_toy()
    r = run_check(m)
    trace = r.properties[0].trace
    assert trace is not None
    short = Trace(trace.model, trace.vars, trace.states[:1], (), property_name="agreement")
    assert explain_trace(m, m.properties["agreement"], short) == ()


def test_why_uses_a_models_label():
    m = Model("labelled")
    x = m.var("x", Int(0, 2), init=0)
    big = m.explain_as(x >= 2, "x has reached its limit")

    @m.action()
    def inc():
        return x < 2, {x: x + 1}

    m.invariant("small", ~big)
    m.freeze()
    r = run_check(m)
    assert r.properties[0].extra["why"][1] == "  - x has reached its limit"


def test_why_of_a_lasso_names_trigger_and_loop():
    m = Model("stuck")
    x = m.var("x", Bool, init=False)
    done = m.var("done", Bool, init=False)

    @m.action(fair="weak")
    def go():
        return ~x, {x: True}

    m.leads_to("finishes", x, done)
    m.freeze()
    r = run_check(m)
    why = r.properties[0].extra["why"]
    assert why[0] == "the trigger of finishes holds in state 1:"
    assert "x is true" in why[1]
    assert why[2].startswith("the response never holds again")
    assert "done is false" in why[3]


# ---- lanes ------------------------------------------------------------------------------------

def test_default_lanes_follow_the_first_index():
    lanes = lanes_of_model(quorum_toy())
    assert lanes["order"] == ["n1", "n2", "n3", SHARED]
    assert lane_of_key("val[n2]", lanes) == "n2"
    assert lane_of_key("clock", lanes) == SHARED
    assert lanes_of_step((("n", "n3"), ("v", "a")), ["val[n3]"], lanes) == ["n3"]


def test_declared_lanes_move_state_and_elements():
    lanes = lanes_of_model(quorum_toy(lanes=True))
    assert lanes["order"] == ["n1", "n2", "n3", "timer"]
    assert lane_of_key("clock", lanes) == "timer"
    assert lanes["elements"]["b"] == "n2"  # value b is drawn in node n2's lane
    assert lanes_of_step((("v", "b"),), ["clock"], lanes) == ["n2", "timer"]


@pytest.mark.parametrize("call, message", [
    (lambda m, s: m.lane("nope", "x"), "not a state variable"),
    (lambda m, s: m.lane("v", key=1), "has 1 index"),
    (lambda m, s: m.lane(s, 3), "give a function"),
    (lambda m, s: m.lane("v", 7), "a lane name is a string"),
])
def test_bad_lane_declarations_are_model_errors(call, message):
    m = Model("bad")
    s = m.sort("S", 2)
    m.var("v", Map(s, Bool), init=False)
    with pytest.raises(ModelError, match=message):
        call(m, s)


# ---- folding and ITF --------------------------------------------------------------------------

def _trace(labels: list[tuple[str, bool]], loop: int | None = None) -> Trace:
    states = tuple({"t": i} for i in range(len(labels) + 1 - (1 if loop is not None else 0)))
    steps = tuple(Step(a, (), "protocol", tick) for a, tick in labels)
    return Trace("m", ("t",), states, steps, loop=loop, tick_seconds=10.0)


def test_repeated_waiting_cycles_fold_and_others_do_not():
    cycle = [("agent", False), ("tick", True)]
    t = _trace([("start", False)] + cycle * 5 + [("done", False)])
    (f,) = folds(t)
    assert (f.first, f.last, f.block, f.repeats) == (1, 10, ("agent", "tick"), 5)
    assert folds(_trace([("a", False), ("b", False)] * 5)) == []  # no tick: not waiting
    assert folds(_trace(cycle * 2)) == []  # too short to fold


def test_a_fold_never_crosses_the_start_of_a_loop():
    t = _trace([("tick", True)] * 8, loop=4)
    assert all(not (f.first < 4 <= f.last) for f in folds(t))


def test_itf_keeps_lanes_ticks_and_why(tmp_path):
    m = quorum_toy(lanes=True)
    trace = run_check(m).properties[0].trace
    assert trace is not None and trace.lanes and trace.why
    p = write_itf(trace, tmp_path / "t.itf.json")
    back = read_itf(p)
    assert back.lanes == trace.lanes and back.why == trace.why and back.steps == trace.steps


def test_corrupt_lanes_meta_is_bad_input(tmp_path):
    m = quorum_toy()
    trace = run_check(m).properties[0].trace
    p = write_itf(trace, tmp_path / "t.itf.json")
    doc = json.loads(p.read_text())
    doc["#meta"]["hacheck"]["lanes"] = "garbage"
    p.write_text(json.dumps(doc))
    r = run("report", str(p), "--html", str(tmp_path / "r.html"))
    assert r.returncode == 2 and "lanes" in r.stderr and "Traceback" not in r.stderr
    p.unlink()  # written corrupt on purpose: not one for the conftest hook's reader


# ---- the HTML page ------------------------------------------------------------------------------

def test_diagram_has_a_lane_per_component_and_a_box_per_touched_lane():
    m = quorum_toy()
    trace = run_check(m).properties[0].trace
    html = trace_section(trace, "t0", "agreement")
    assert html.count('class="hdr lane"') == len(lanes_of_model(m)["order"])
    assert html.count("FAULT ") == sum(1 for s in trace.steps if s.kind == "fault")
    for i in range(1, len(trace.states)):
        assert f'data-step="{i}"' in html


def test_page_is_self_contained():
    m = quorum_toy()
    r = run_check(m)
    trace = r.properties[0].trace
    page = build_html({"model": "toy", "properties": []}, {"x.itf.json": trace})
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "@import" not in page and "<link" not in page
    assert page.count("<script") == 2  # the data and the inline step-through script


def test_check_html_for_a_model(tmp_path):
    html = tmp_path / "r.html"
    r = run("check", "docs/tutorial/two_replicas.py", "--out", str(tmp_path / "out"), "--html", str(html), "-q")
    assert r.returncode == 1, r.stderr
    page = html.read_text()
    assert "no_split_brain" in page and "Why it fails" in page and 'class="v bad"' in page
    assert "no_split_brain is false in state 4:" in page


def test_report_from_json_and_from_itf(tmp_path):
    out = tmp_path / "out"
    r = run("check", "docs/tutorial/two_replicas.py", "--out", str(out), "--json", str(tmp_path / "r.json"), "-q")
    assert r.returncode == 1
    r = run("report", str(tmp_path / "r.json"), "--html", str(tmp_path / "a.html"))
    assert r.returncode == 0, r.stderr
    assert "2 trace(s)" in r.stdout and "Why it fails" in (tmp_path / "a.html").read_text()
    itf = next(out.glob("*.itf.json"))
    r = run("report", str(itf))
    assert r.returncode == 0, r.stderr
    assert Path(str(itf)[: -len(".itf.json")] + ".html").exists()


@pytest.mark.parametrize("content, needle", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", "not a text file"),
    (b"{not json", "not valid JSON"),
    (b'{"hello": 1}', "not a hacheck JSON report"),
    (b'{"properties": [{"name": "p", "trace_files": {"itf": "gone.itf.json"}}]}', "does not exist"),
])
def test_report_bad_input_is_exit_2(tmp_path, content, needle):
    f = tmp_path / "in.json"
    f.write_bytes(content)
    r = run("report", str(f), "--html", str(tmp_path / "x.html"))
    assert r.returncode == 2 and needle in r.stderr and "Traceback" not in r.stderr


def test_html_folder_is_checked_before_any_work(tmp_path):
    r = run("check", "docs/tutorial/two_replicas.py", "--html", str(tmp_path / "no" / "r.html"))
    assert r.returncode == 2 and "does not exist" in r.stderr


# ---- DOT pictures -------------------------------------------------------------------------------

def test_dot_puts_parameters_in_a_legend_and_why_on_the_violating_state():
    from hacheck.cli import load_model

    m, _ = load_model("docs/tutorial/two_replicas.py", [])
    trace = run_check(m).properties[0].trace
    src = to_graph(trace).source
    label = re.search(r'^\s*label="([^"]*)"', src, re.M)
    assert label and "max_faults" not in label.group(1)
    assert "rank=sink" in src and "max_faults=2" in src
    assert ">why<" in src and "no_split_brain is false" in src


def test_dot_folds_waiting_cycles_into_one_edge():
    cycle = [("agent", False), ("tick", True)]
    t = _trace([("start", False)] + cycle * 6 + [("done", False)])
    src = to_graph(t).source
    assert "waiting 6 ticks = 60 s: 6 x [agent, tick]" in src
    assert src.count("[label=<") == 4  # states 0, 1, 13, 14


def test_index_links_every_report_with_its_exit_code(tmp_path):
    for name, quorum, code in (("bad", "none", 1), ("good", "majority", 0)):
        r = run("check", "docs/tutorial/two_replicas.py", "--param", f"quorum={quorum}", "--out", str(tmp_path), "-q",
                "--json", str(tmp_path / f"{name}.json"), "--html", str(tmp_path / f"{name}.html"))
        assert r.returncode == code
    r = run("report", "--index", str(tmp_path))
    assert r.returncode == 0, r.stderr
    page = (tmp_path / "index.html").read_text()
    assert '<a href="bad.html">bad</a></td><td class="v bad">exit 1: violated' in page
    assert '<a href="good.html">good</a></td><td class="v ok">exit 0: all hold' in page
    r = run("report", "--index", str(tmp_path / "missing"))
    assert r.returncode == 2 and "not a folder" in r.stderr
