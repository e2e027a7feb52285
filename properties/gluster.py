"""Properties of the GlusterFS replicate/arbiter model (models/gluster_arbiter.py).

Every function takes the model's context object (variable handles, parameters and the derived
predicates the model defines: ``eff``, ``avail``, ``has_quorum``, ``readable_set``, the heal
sources ``src`` and data sources ``dsrc``, the fault counter ``faults``) and returns an
expression, or for the liveness property ``volume_writable`` a (trigger, response) pair.
``register`` adds the properties to the model. Plain state predicates that are not registered
(``write_quorum``, ``volume_readable``, ``all_up``, ``healed``) are here for tests and for other
properties to reuse: import them, there is no other registry.
"""

from __future__ import annotations

from hacheck.lang import TRUE, and_, explain_as, implies, ite, or_, sum_


# ---- helpers ------------------------------------------------------------------------------------
def all_up(ctx):
    """Every brick serves I/O (a healer reaches every brick)."""
    return and_(*(ctx.eff(b) for b in ctx.Brick))


def bricks_up(ctx):
    return sum_(ite(ctx.eff(b), 1, 0) for b in ctx.Brick)


def read_ok(ctx, c):
    """afr_read_txn lets client c read: no client quorum configured, quorum met, or (erofs) read-only mode."""
    if ctx.p.quorum_type == "none" or ctx.p.quorum_loss == "erofs":
        return TRUE
    return explain_as(ctx.has_quorum({b: ctx.avail(c, b) for b in ctx.Brick}), f"{c} has client quorum to read")


def acked_in(ctx, b):
    """Every acknowledged write is applied on brick b."""
    return explain_as(and_(*(implies(ctx.acked[w], ctx.data[b].has(w)) for w in ctx.Write)),
                      f"{b} holds every acknowledged write")


def will_ack(ctx, w):
    """w has been acknowledged while its transaction is still open, or will be at unlock."""
    return ((ctx.phase[w] == "oped") & ctx.acked[w]) | ((ctx.phase[w] == "posted") & (ctx.acked[w] | ~ctx.bad[w]))


# ---- safety -------------------------------------------------------------------------------------
# A violation is a data split-brain as AFR sees it: both data bricks accused, the arbiter the only source;
# afr_selfheal_find_direction keeps the arbiter alone and __afr_selfheal_data never heals from it, reads
# fail with EIO. `gluster volume heal VOL info split-brain` does NOT list such a file: PFLAG_SBRAIN is set
# only when there is no source at all (afr-self-heal-common.c), and afr_decide_heal_info reports it as
# "needs heal" for ever (docs/models/gluster.md, "Steady partitions").
def no_split_brain(ctx):
    """Whenever every brick is up, afr_selfheal_find_direction finds a source and a data brick among
    the data sources (an arbiter-only source set means no data heal: split-brain)."""
    return implies(all_up(ctx), or_(*(ctx.dsrc[j] for j in ctx.data_bricks)))


def no_lost_ack_heal(ctx):
    """Whenever a heal can run (every brick up, no lock held, a changelog pending), each data source
    it may choose holds every acknowledged write."""
    return implies(ctx.heal_possible & ctx.needs_heal, and_(*(implies(ctx.dsrc[j], acked_in(ctx, j)) for j in ctx.data_bricks)))


def no_stale_read(ctx):
    """Every brick any client may read from (after the quorum check) holds every acknowledged write."""
    parts = []
    for c in ctx.Client:
        rs = ctx.readable_set(c)
        may = {j: explain_as(rs[j], f"{c} may read {j} (connected, blamed by no connected brick)") for j in ctx.data_bricks}
        parts.append(implies(read_ok(ctx, c), and_(*(implies(may[j], acked_in(ctx, j)) for j in ctx.data_bricks))))
    return and_(*parts)


# ---- availability (reachability) ----------------------------------------------------------------
def ack_one_down(ctx):
    """Exactly one brick is down, a data brick, and a write locked without it is acknowledged."""
    n = len(ctx.Brick)
    return or_(*(
        (bricks_up(ctx) == n - 1) & ~ctx.eff(b) & or_(*(will_ack(ctx, w) & ~ctx.lk[w].has(b) for w in ctx.Write))
        for b in ctx.data_bricks))


def ack_two_down(ctx):
    """Two bricks are down and a write that locked at most replica-2 bricks is acknowledged."""
    n = len(ctx.Brick)
    return (bricks_up(ctx) <= n - 2) & or_(*(will_ack(ctx, w) & (ctx.lk[w].size() <= n - 2) for w in ctx.Write))


def ack_without_brick0(ctx):
    """Brick 0 is down and a write that did not lock it is acknowledged."""
    b0 = ctx.Brick.elements[0]
    return ~ctx.eff(b0) & or_(*(will_ack(ctx, w) & ~ctx.lk[w].has(b0) for w in ctx.Write))


def volume_readable(ctx):
    """Some client may read and has a readable data brick."""
    return or_(*(read_ok(ctx, c) & or_(*ctx.readable_set(c).values()) for c in ctx.Client))


def read_two_down(ctx):
    """Two bricks are down and some client can still read the file."""
    return (bricks_up(ctx) <= len(ctx.Brick) - 2) & volume_readable(ctx)


# ---- plain state predicates (reused by the liveness property and by tests) -----------------------
def write_acked(ctx):
    """Some write has been acknowledged."""
    return or_(*(ctx.acked[w] for w in ctx.Write))


def write_quorum(ctx):
    """Some client meets client quorum with the bricks it reaches (a write it issues now can lock)."""
    return or_(*(ctx.has_quorum({b: ctx.avail(c, b) for b in ctx.Brick}) & or_(*(ctx.avail(c, b) for b in ctx.Brick))
                 for c in ctx.Client))


def healed(ctx):
    """No changelog is pending: no blame, no dirty count."""
    return and_(*(~ctx.blame[i].has(k) for i in ctx.Brick for k in ctx.Brick if i != k)) & \
        and_(*(ctx.dirty[b] == 0 for b in ctx.Brick))


# ---- liveness -----------------------------------------------------------------------------------
def probe_write(ctx):
    """The write the liveness property follows: the last one (its client is ``(writes-1) mod clients``)."""
    return ctx.Write.elements[-1]


def volume_writable(ctx, w=None):
    """``volume_writable`` as a (trigger, response) pair for ``m.leads_to``: once the failure has
    happened (the fault budget is used: ``faults >= 1``) while write ``w`` (default: the last one)
    has not been issued yet, ``w`` is eventually acknowledged. A write is a whole transaction, and
    ``acked`` is what the application is told, so this is "a write issued after the failure
    succeeds", whatever the failure left behind (blame, dirty counts, a brick still down)."""
    w = probe_write(ctx) if w is None else w
    return (ctx.faults >= 1) & (ctx.phase[w] == "idle"), ctx.acked[w]


def register(m, ctx):
    m.invariant("no_split_brain", no_split_brain(ctx), doc=no_split_brain.__doc__)
    m.invariant("no_lost_ack_heal", no_lost_ack_heal(ctx), doc=no_lost_ack_heal.__doc__)
    m.invariant("no_stale_read", no_stale_read(ctx), doc=no_stale_read.__doc__)
    m.reachable("ack_one_down", ack_one_down(ctx), doc=ack_one_down.__doc__)
    m.reachable("ack_two_down", ack_two_down(ctx), doc=ack_two_down.__doc__)
    m.reachable("ack_without_brick0", ack_without_brick0(ctx), doc=ack_without_brick0.__doc__)
    m.reachable("read_two_down", read_two_down(ctx), doc=read_two_down.__doc__)
    m.reachable("write_acked", write_acked(ctx), doc=write_acked.__doc__)
    trigger, response = volume_writable(ctx)
    m.leads_to("volume_writable", trigger, response,
               doc="after the failure, a write issued then is eventually acknowledged (the last write: "
               f"{probe_write(ctx).name}); a node failure is --faults brick_crash --param max_faults=1, "
               "crash_brick=N names the node")
