"""Errors cross process boundaries: a check run by a pool worker (hacheck check DEPLOYMENT with
--workers, or a Dask cluster) that fails with a model error must reach the parent as that error,
exit 2 with its message. An error class whose __init__ takes more than the message (a trace) could
not be unpickled, and the pool broke with an internal error (exit 5) instead; ModelError re-run
through __init__ would prefix its location twice."""

from __future__ import annotations

import pickle

from hacheck.check import WrongLemma
from hacheck.explicit.search import ModelRangeError
from hacheck.lang.errors import BadInput, HacheckError, ModelError
from hacheck.symbolic.common import SmtModelError
from hacheck.trace import Trace


def _trace() -> Trace:
    return Trace(model="m", vars=("x",), states=({"x": 0},), steps=())


def test_errors_with_a_trace_survive_pickling():
    for cls in (WrongLemma, ModelRangeError, SmtModelError):
        e = cls("stated lemma L is false in a reachable state", _trace())
        back = pickle.loads(pickle.dumps(e))
        assert type(back) is cls and str(back) == str(e)
        assert back.trace.states == e.trace.states


def test_a_model_error_keeps_its_location_once():
    e = ModelError("x out of range", location="models/m.py:12")
    back = pickle.loads(pickle.dumps(e))
    assert str(back) == "models/m.py:12: x out of range" and back.location == "models/m.py:12"
    assert isinstance(pickle.loads(pickle.dumps(BadInput("bad"))), HacheckError)


def test_a_wrong_lemma_in_a_pool_worker_reaches_the_parent_as_itself():
    import concurrent.futures as cf
    import multiprocessing

    with cf.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        f = pool.submit(_raise)
        try:
            f.result()
        except WrongLemma as e:
            assert "stated lemma" in str(e) and len(e.trace.states) == 1
        else:
            raise AssertionError("no error")


def _raise() -> None:
    raise WrongLemma("stated lemma L is false in a reachable state", _trace())
