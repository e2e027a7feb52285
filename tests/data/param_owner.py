"""Jobs issued by clients, job j by client ``j mod clients`` (as Gluster's writes): a guard for the
parametric reading of an element chosen by a function of another (``prove --for-every``).

``run(j)`` marks job j done and its client served. ``served_has_done`` (a served client has a done
job of its own) holds for every assignment of jobs to clients; ``all_done_all_served`` (once every
job is done, every client has been served) holds for the model's assignment at every size it
accepts (it refuses fewer jobs than clients, so ``j mod clients`` leaves no client without a job)
but not for every assignment: a client that owns no job is never served. A proof for every N
reads the owner as an uninterpreted function, so it must prove the first and must not say
``holds`` for the second. With ``audit`` a second action picks a client by another map: no single
function explains both, and the model is not read for every N."""

from __future__ import annotations

import attrs

from hacheck.lang import BadInput, Bool, Map, Model, Spec, and_, implies, or_, param


@attrs.frozen
class Params:
    clients: int = param(2, low=1, high=4, doc="clients")
    jobs: int = param(2, low=1, high=6, doc="jobs; job j is issued by client j mod clients")
    audit: bool = param(False, doc="also audit(j): marks client (j+1) mod clients audited, a second map from jobs "
                        "to clients (the reading finds no single function and refuses the model)")


def check(p: Params) -> None:
    if p.jobs < p.clients:
        raise BadInput(f"jobs ({p.jobs}) must be at least clients ({p.clients}): every client issues a job")


def build(p: Params) -> Model:
    check(p)
    m = Model("param_owner")
    Client = m.sort("Client", p.clients)
    Job = m.sort("Job", p.jobs)

    def owner_of(j):
        return Client[j.index % p.clients]

    def jobs_of(c):
        return [j for j in Job if owner_of(j) == c]

    done = m.var("done", Map(Job, Bool), init=False)
    served = m.var("served", Map(Client, Bool), init=False)

    @m.action(j=Job)
    def run(j):
        return ~done[j], {done[j]: True, served[owner_of(j)]: True}

    if p.audit:
        audited = m.var("audited", Map(Client, Bool), init=False)

        @m.action(j=Job)
        def audit(j):
            return done[j], {audited[Client[(j.index + 1) % p.clients]]: True}

    m.invariant("served_has_done", and_(*(implies(served[c], or_(*(done[j] for j in jobs_of(c)))) for c in Client)))
    m.invariant("all_done_all_served", implies(and_(*(done[j] for j in Job)), and_(*(served[c] for c in Client))))
    return m


SPEC = Spec("param_owner", Params, build, check=check)
