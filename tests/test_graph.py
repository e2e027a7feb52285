"""``hacheck graph`` and ``hacheck.render.graph.state_graph``: the reachable state graph as a
networkx DiGraph is the explicit engine's state space (same states, same transitions, the same
shortest counterexample length), and every export format reads back."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

from hacheck.loader import build_model, load_spec
from hacheck.render.graph import GraphTooLarge, state_graph

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / "docs" / "tutorial" / "two_replicas.py"


def hacheck(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hacheck.cli", *args], capture_output=True, text=True, cwd=cwd,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


@pytest.fixture(scope="module")
def graph() -> nx.DiGraph:
    return state_graph(build_model(load_spec(TUTORIAL)))


def test_the_graph_is_the_engines_state_space(graph):
    """80 states and 144 transitions: what 'hacheck check --no-symmetry' explores (README tour)."""
    res = hacheck("check", str(TUTORIAL), "--no-symmetry", "-q", "--out", "/tmp/hacheck-test-graph-out")
    assert "explicit: 80 states, 144 transitions" in res.stdout
    assert (graph.number_of_nodes(), graph.graph["transitions"], graph.number_of_edges()) == (80, 144, 144)
    assert [n for n, a in graph.nodes(data=True) if a["initial"]] == [0]


def test_violating_states_are_marked_and_the_nearest_is_the_shortest_counterexample(graph):
    bad = [n for n, a in graph.nodes(data=True) if "no_split_brain" in a["violates"].split(",")]
    assert bad
    assert min(nx.shortest_path_length(graph, 0, n) for n in bad) == 4  # 'violated (4 steps, shortest)'
    some = graph.nodes[bad[0]]
    assert some["data[r1]"] != some["data[r2]"]  # the two replicas disagree there


def test_edges_carry_actions_and_their_kind(graph):
    kinds = {a["kind"] for _, _, a in graph.edges(data=True)}
    assert kinds == {"protocol", "fault"}
    assert any(a["action"].startswith("cut(") and a["kind"] == "fault" for _, _, a in graph.edges(data=True))
    assert graph.nodes[0]["faults"] == 0 and graph.nodes[0]["data[r1]"] == "{}"


@pytest.mark.parametrize("fmt,read", [
    ("graphml", nx.read_graphml),
    ("gexf", nx.read_gexf),
    ("json", lambda p: nx.node_link_graph(json.loads(Path(p).read_text()), edges="edges")),
])
def test_each_format_reads_back(tmp_path, fmt, read):
    out = tmp_path / f"g.{fmt}"
    res = hacheck("graph", str(TUTORIAL), "--format", fmt, "-o", str(out))
    assert res.returncode == 0, res.stderr
    assert "two_replicas: 80 states, 144 transitions" in res.stderr
    g = read(str(out))
    assert (g.number_of_nodes(), g.number_of_edges()) == (80, 144)


def test_dot_goes_to_stdout_and_graphviz_reads_it(tmp_path):
    res = hacheck("graph", str(TUTORIAL), "--format", "dot")
    assert res.returncode == 0 and res.stdout.startswith('digraph "two_replicas" {')
    assert res.stdout.count(" -> ") == 144
    dot = shutil.which("dot")
    assert dot, "graphviz's dot is installed by scripts/setup.sh"
    svg = subprocess.run([dot, "-Tsvg"], input=res.stdout, capture_output=True, text=True)
    assert svg.returncode == 0 and "<svg" in svg.stdout


def test_a_model_above_the_limit_is_refused_with_exit_2():
    res = hacheck("graph", "gluster_arbiter")  # 34,469 states at its defaults
    assert res.returncode == 2
    assert res.stderr.strip().splitlines() == [
        "hacheck: error: model gluster_arbiter: more than 10,000 reachable states; the state graph is for small "
        "instances (lower the parameters with --param, or raise --max-states up to 200,000)"]
    assert hacheck("graph", str(TUTORIAL), "--max-states", "200001").returncode == 2
    with pytest.raises(GraphTooLarge):
        state_graph(build_model(load_spec(TUTORIAL)), max_states=79)
    assert state_graph(build_model(load_spec(TUTORIAL)), max_states=80).number_of_nodes() == 80


def test_a_shipped_model_marks_the_invariants_the_engine_finds_violated(tmp_path):
    params = ["--param", "replica=2", "--param", "arbiter=false", "--param", "quorum_type=none", "--param", "writes=1"]
    res = hacheck("graph", "gluster_arbiter", *params, "--format", "json", "-o", str(tmp_path / "g.json"))
    assert res.returncode == 0, res.stderr
    g = nx.node_link_graph(json.loads((tmp_path / "g.json").read_text()), edges="edges")
    assert "replica=2, arbiter=false" in g.graph["params"]
    marked = {name for _, a in g.nodes(data=True) for name in a["violates"].split(",") if name}
    check = hacheck("check", "gluster_arbiter", *params, "--no-symmetry", "-q", "--out", str(tmp_path / "out"))
    violated = {line.split()[0] for line in check.stdout.splitlines() if " invariant " in line and "violated" in line}
    assert f"explicit: {g.number_of_nodes():,} states" in check.stdout
    assert marked == violated and violated
