"""A VM that starts on h1 and is restarted elsewhere only after it stopped: the initial state names
a host in particular (``run[h1]`` and ``on == h1``), and the property needs a stated lemma. The
lemma route of ``prove --for-every`` reads the initial state by clauses, as the mining route does.
``lemma=weak`` states a lemma true in every reachable state that does not make the property
inductive (the proof must fail with the step that breaks it)."""

from __future__ import annotations

import attrs

from hacheck.lang import Bool, Elem, Map, Model, Spec, count, forall, implies, param


@attrs.frozen
class Params:
    hosts: int = param(2, low=1, high=6)
    lemma: str = param("right", choices=("right", "weak"))


def build(p: Params) -> Model:
    m = Model("placed_lemma")
    Host = m.sort("Host", p.hosts)
    run = m.var("run", Map(Host, Bool), init={h.name: h.index == 0 for h in Host})
    on = m.var("on", Elem(Host, optional=True), init=Host[0])

    @m.action(h=Host)
    def stop(h):
        return run[h], {run[h]: False, on: None}

    @m.action(h=Host)
    def start(h):
        return on == None, {run[h]: True, on: h}  # noqa: E711 - a model expression, not a Python test

    m.invariant("one_runs", count(Host, lambda h: run[h]) <= 1)
    if p.lemma == "right":
        m.lemma("runner_is_on", forall(Host, lambda h: implies(run[h], on == h)), supports=["one_runs"],
                doc="a host runs the VM only where the engine has it")
    else:
        m.lemma("on_runs", forall(Host, lambda h: implies(on == h, run[h])), supports=["one_runs"],
                doc="true, but a runner with on == None is not excluded: start elsewhere breaks one_runs")
    return m


SPEC = Spec("placed_lemma", Params, build)
