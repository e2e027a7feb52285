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

import itertools

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


# ---- stated lemmas for no_split_brain (prove --method lemmas; docs/models/gluster.md, "Why no split-brain") ----
# Together with no_split_brain these seven predicates are inductive at the instances `lemmas_apply`
# accepts (the defaults among them): z3 proves that every step from a state satisfying all of them
# leads to one satisfying all of them, so no_split_brain holds in every reachable state, with no
# bound on the length of an execution. Each names the upstream mechanism it encodes. Read as formulas
# over every client and write (prove --for-every clients,writes; write w's client is the uninterpreted
# client_of(w)) the same text is inductive for every number of clients and writes, unchanged: no lemma
# names a particular client (faults_cover_marks' "cut from a client" is an exists over the clients).
_ACTIVE = ("locked", "preop", "oped", "refused", "posted")
_AFTER_PRE_OP = ("preop", "oped", "refused")  # the pre-op has run, the post-op has not


def _active(ctx, w):
    return or_(*(ctx.phase[w] == x for x in _ACTIVE))


def _empty(ctx, s):
    return and_(*(~s.has(b) for b in ctx.Brick))


def accused(ctx, j):
    """Some other brick holds a pending data count for brick j (afr_selfheal_find_direction: j is
    then not an unaccused source)."""
    return or_(*(ctx.blame[i].has(j) for i in ctx.Brick if i != j))


def doomed(ctx, w):
    """w's post-op will write no changelog: the op failed and a pre-op'd brick failed
    (afr_changelog_post_op_do: ``op_ret < 0 && !nothing_failed`` -> no xattrop)."""
    return ctx.bad[w] & or_(*(ctx.lk[w].has(b) & ctx.fl[w].has(b) for b in ctx.Brick))


def lock_lost(ctx, w, b):
    """w locked b but the brick no longer holds w's inodelk (it dropped it on a disconnect or crash)."""
    return ctx.lk[w].has(b) & (ctx.owner[b] != w)


def vetoed(ctx, w):
    """afr_txn_arbitrate_fop's condition over w's answering bricks (locked, not failed) and today's
    blame: fewer than two pre-op sources and the arbiter is one of them."""
    ok = {b: ctx.lk[w].has(b) & ~ctx.fl[w].has(b) for b in ctx.Brick}
    src = {j: ok[j] & ~or_(*(ok[i] & ctx.blame[i].has(j) for i in ctx.Brick if i != j)) for j in ctx.Brick}
    # "fewer than two sources and the arbiter is one": no other brick is a source (a count over the
    # bricks written without a sum, so that prove --for-every can read it as a first-order formula)
    return src[ctx.arb] & ~or_(*(src[j] for j in ctx.Brick if j != ctx.arb))


def marked(ctx, b):
    """Brick b carries a mark that only a fault leaves: it is down or cut from a client, accused,
    missing a pending count another brick wrote, or, in an open transaction, not locked (it was
    unreachable at the lock), failed in a write that will still write a changelog, failed in its
    post-op (gone), or its inodelk was dropped."""
    o = [x for x in ctx.Brick if x != b]
    missing = or_(*(ctx.blame[i].has(k) & ~ctx.blame[b].has(k) for i in o for k in o if i != k))
    in_txn = or_(*(_active(ctx, w) & ((ctx.fl[w].has(b) & ~doomed(ctx, w)) | ctx.gone[w].has(b)
                                      | lock_lost(ctx, w, b) | ~ctx.lk[w].has(b)) for w in ctx.Write))
    return ~ctx.up[b] | or_(*(~ctx.reach[c][b] for c in ctx.Client)) | accused(ctx, b) | missing | in_txn


def one_data_brick_accused(ctx):
    """At most one data brick is accused. Implies no_split_brain: afr_selfheal_find_direction then
    finds an unaccused data brick, or (all accused) one accused only once."""
    b0, b1 = ctx.data_bricks
    return ~(accused(ctx, b0) & accused(ctx, b1))


def faults_cover_marks(ctx):
    """The fault counter is at least the number of marked bricks: a fault marks at most one brick,
    a protocol step only moves a mark (a failed brick becomes an accused one in the post-op), a
    restart, reconnect or heal only removes marks."""
    # faults >= (number of marked bricks), written per set of bricks (no sum: first-order for --for-every)
    bricks = list(ctx.Brick)
    mk = {b: marked(ctx, b) for b in bricks}
    out = []
    for size in range(1, len(bricks) + 1):
        for group in itertools.combinations(bricks, size):
            out.append(implies(and_(*(mk[b] for b in group)), ctx.faults >= size))
    return and_(*out)


def datamap_excludes_accused(ctx):
    """Between pre-op and post-op, w's write-subvol datamap holds no data brick accused by a brick
    that answered w's pre-op (afr_write_subvol_set -> afr_readables_fill over the pre-op replies),
    unless w lost its lock on that brick (another writer could then have changed its changelog)."""
    out = []
    for w in ctx.Write:
        between = or_(*(ctx.phase[w] == x for x in _AFTER_PRE_OP))
        for k in ctx.data_bricks:
            for i in ctx.Brick:
                if i != k:
                    out.append(implies(between & ctx.rd[w].has(k) & ctx.blame[i].has(k) & ctx.lk[w].has(i)
                                       & ~ctx.fl[w].has(i), lock_lost(ctx, w, i)))
    return and_(*out)


def datamap_includes_unaccused(ctx):
    """Between pre-op and post-op, every data brick nobody accuses is in w's datamap
    (afr_readables_fill leaves a brick in unless an answering brick accuses it)."""
    return and_(*(implies(or_(*(ctx.phase[w] == x for x in _AFTER_PRE_OP)) & ~accused(ctx, k), ctx.rd[w].has(k))
                  for w in ctx.Write for k in ctx.data_bricks))


def refusal_not_by_veto(ctx):
    """A refused write that will still write a changelog was not refused by the arbiter veto
    (afr_txn_arbitrate_fop marks every brick failed, so its post-op writes nothing): the veto's
    condition is false over its answering bricks."""
    return and_(*(implies((ctx.phase[w] == "refused") & ~doomed(ctx, w), ~vetoed(ctx, w)) for w in ctx.Write))


def idle_write_clean(ctx):
    """A write not started has no transaction state (afr_transaction starts from a fresh local)."""
    return and_(*(implies(ctx.phase[w] == "idle", _empty(ctx, ctx.lk[w]) & _empty(ctx, ctx.fl[w]) & _empty(ctx, ctx.rd[w])
                          & _empty(ctx, ctx.gone[w]) & ~ctx.bad[w] & ~ctx.acked[w]) for w in ctx.Write))


def phase_facts(ctx):
    """What each phase has set: no datamap before the pre-op (afr_write_subvol_set runs after it),
    no post-op failure (gone), failure or ack before the op; a refused write has failed, was not
    acked and needed two faults (lemma faults_cover_marks: both unlocked or failed bricks are
    marks); the arbiter is never in a datamap (it holds no data); a post-op fails only on locked
    bricks."""
    out = []
    for w in ctx.Write:
        ph = {x: ctx.phase[w] == x for x in _ACTIVE}
        out.append(implies(ph["locked"], _empty(ctx, ctx.rd[w])))
        out.append(implies(ph["locked"] | ph["preop"], _empty(ctx, ctx.gone[w]) & ~ctx.bad[w] & ~ctx.acked[w]))
        out.append(implies(ph["oped"], ~ctx.bad[w]))
        out.append(implies(ph["refused"], ctx.bad[w] & ~ctx.acked[w] & _empty(ctx, ctx.gone[w]) & (ctx.faults >= 2)))
        out.append(~ctx.rd[w].has(ctx.arb))
        out.append(and_(*(implies(ctx.gone[w].has(b), ctx.lk[w].has(b)) for b in ctx.Brick)))
    return and_(*out)


LEMMAS = (one_data_brick_accused, faults_cover_marks, datamap_excludes_accused, datamap_includes_unaccused,
          refusal_not_by_veto, idle_write_clean, phase_facts)


def lemmas_apply(p) -> bool:
    """The instances the lemmas are stated for: replica 3 arbiter 1, client quorum of two bricks (auto,
    or fixed with quorum-count 2), the whole-file lock, the arbiter veto and the in-flight check on, no
    server quorum, at most two faults; any number of clients and writes and any other option. Where
    the proof succeeds the lemmas are true in every reachable state (they are part of an inductive
    invariant that holds initially); tests/test_gluster_lemmas.py proves them at every combination
    of clients, writes and max_faults the model accepts, and with each other option flipped (where
    a combination were not inductive, `hacheck check` would still report a false lemma as a wrong
    lemma, exit 2, never as a verdict). Not stated elsewhere: with three faults, or
    without one of those rules, split-brain is reachable (findings 3 and 6, the ablation rows), and
    with server quorum a single crash can stop two bricks (faults_cover_marks is not inductive); nor with
    a steady partition (``partitions``) or 3.12's post-op quorum rule (``arbiter_fop_quorum``)."""
    two_of_three = p.quorum_type == "auto" or (p.quorum_type == "fixed" and p.quorum_count == 2)
    return (p.arbiter and two_of_three and p.full_lock and p.arbiter_veto and p.in_flight_check
            and p.server_quorum == "none" and p.max_faults <= 2
            # not stated with a steady partition (one storage_cut, one fault, cuts several links at once:
            # faults_cover_marks counts one fault per mark) nor with 3.12's post-op quorum rule: neither
            # was in the instances the lemmas were proved at
            and not getattr(p, "partitions", "") and not getattr(p, "arbiter_fop_quorum", False))


def register(m, ctx):
    m.invariant("no_split_brain", no_split_brain(ctx), doc=no_split_brain.__doc__)
    if lemmas_apply(ctx.p):
        for f in LEMMAS:
            m.lemma(f.__name__, f(ctx), supports=["no_split_brain"], doc=f.__doc__)
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
