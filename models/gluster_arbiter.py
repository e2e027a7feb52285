"""GlusterFS AFR replicate (one replica set, optionally with an arbiter): quorum and the changelog.

One file on one replica set of bricks ``b0..b{replica-1}``; with ``arbiter`` on, ``b2`` is the
arbiter (it stores the changelog but no data and is never read). Clients run data write
transactions the way ``afr-transaction.c`` does -- Lock, PreOp (with the quorum, arbiter-veto
and write-subvol checks of ``afr_transaction_fop``), Op, Ack (before the post-op when no pre-op'd
brick failed, ``__afr_inode_write_cbk``), PostOp (``afr_handle_quorum``, the in-flight split-brain
check, blame of every failed brick), Unlock -- and faults may strike between any two steps:
brick crash and restart, client-brick link loss and repair, client crash, an op failing on one
brick, a post-op lost on one brick. A disconnect fails the brick for the rest of a transaction
when a request was in flight there (ENOTCONN), unless a window is open: a stall on another brick
(``network.ping-timeout``, the ``*_stalled`` faults) or the delayed post-op of eager-lock
(``afr_is_delayed_changelog_post_op_needed``), during which a client's next write may inherit the
lock and the pre-op (``inherit``). Self-heal is one atomic step with the source choice of
``afr_selfheal_find_direction`` and ``__afr_selfheal_data_finalize_source``; reads are checked as a
state predicate (the atomic heal is an under-approximation: docs, "Abstractions"). A brick or link
that drops during a delayed post-op is still down when it fires (reconnect after 3 s,
rpc_clnt_handle_disconnect). Defaults are upstream's (eager-lock on, post-op-delay-secs 1).

Client steps and heal are weakly fair; restarts and repairs are environment steps, never owed (a
lost node may stay lost). The liveness property ``volume_writable`` asks that a write issued after
the failure is acknowledged: check a single node failure with ``--faults brick_crash --param
max_faults=1`` and name the node with ``--param crash_brick=N``.

Writes are abstract ids (write ``w`` is issued by client ``w mod clients``); a brick's data is
the set of write ids it applied. Blame M[i][k] is a bit (the diagonal is never set by a data
transaction, so it is left out), dirty counters saturate at 2.
See docs/models/gluster.md for the mapping to upstream and what is abstracted.
"""

from __future__ import annotations


import attrs

from hacheck.avail.defaults import fail_rate, repair_rate
from hacheck.lang.expr import lift
from hacheck.properties.rules import afr_client_quorum, glusterd_server_quorum
from hacheck.lang import (
    FALSE, TRUE, BadInput, Bool, Elem, Enum, Int, Map, Model, Set, Spec, and_, ite, max_, min_,
    or_, param, sum_,
)

PHASES = ("idle", "locked", "preop", "oped", "refused", "posted", "done")
ACTIVE = ("locked", "preop", "oped", "refused", "posted")
DIRTY_MAX = 2


@attrs.frozen
class Params:
    replica: int = param(3, low=2, high=3, doc="bricks in the replica set (2 or 3)")
    arbiter: bool = param(True, doc="brick b2 is an arbiter (replica 3 arbiter 1)")
    quorum_type: str = param("auto", choices=("none", "auto", "fixed"),
                             doc="cluster.quorum-type (upstream: auto for replica 3/arbiter, none for replica 2)")
    quorum_count: int = param(0, low=0, high=3, doc="cluster.quorum-count, used when quorum_type=fixed (0 = unset)")
    server_quorum: str = param("none", choices=("none", "server"), doc="cluster.server-quorum-type")
    server_quorum_ratio: int = param(51, low=1, high=100, doc="cluster.server-quorum-ratio in percent")
    quorum_loss: str = param("enotconn", choices=("enotconn", "erofs"),
                             doc="without client quorum: enotconn = reads fail too (>= 3.13), erofs = read-only (older)")
    clients: int = param(2, low=1, high=3, doc="clients (mounts); write w is issued by client w mod clients")
    writes: int = param(2, low=1, high=4, doc="data writes to the file in total")
    max_faults: int = param(2, low=0, high=12, doc="faults allowed (crash, link loss, client crash, op error, post-op lost; "
                            "12 = every link of 3 clients and the healers to 3 bricks, all storage-loss can cut)")
    crash_brick: int = param(-1, low=-1, high=2, doc="brick_crash strikes only this brick index (-1: any brick); "
                             "with --faults brick_crash and max_faults=1 it names the node that is lost")
    full_lock: bool = param(True, doc="rule (i): data transactions lock the whole file (off = disjoint range locks; "
                            "upstream takes range locks only without arbiter and with eager-lock and cluster.full-lock "
                            "off, afr_set_transaction_flock: otherwise off is an ablation)")
    arbiter_veto: bool = param(True, doc="rule (ii): afr_txn_arbitrate_fop fails a write leaving the arbiter the only source")
    write_subvol_check: bool = param(True, doc="rule (iii): afr_is_write_subvol_valid, a readable brick must not have failed")
    in_flight_check: bool = param(True, doc="rule (iv): in-flight split-brain check, skip the post-op blame when the only readable brick failed")
    heal_accused_quorum: bool = param(True, doc="heal: with no unaccused source take bricks accused fewer than quorum_count times (bug 1539358)")
    heal_choice: str = param("upstream", choices=("upstream", "any"),
                             doc="heal source among tied witnesses: upstream = __afr_selfheal_data_finalize_source "
                             "(highest index among the newest), any = every tied source (an over-approximation)")
    eager_lock: bool = param(True, doc="cluster.eager-lock (upstream default on): a client's next write may take over "
                             "the lock and the pre-op of its previous write during the delayed post-op")
    post_op_delay: int = param(1, low=0, high=10, doc="cluster.post-op-delay-secs (upstream default 1; 0 = no delay): "
                               "with eager-lock, the post-op of a write where nothing failed waits")
    reconnect_interval: int = param(3, low=1, high=10, doc="seconds before the client reconnects to a brick after a disconnect "
                                    "(rpc_clnt_handle_disconnect: 3, fixed upstream): a brick that drops during a delayed "
                                    "post-op of post_op_delay <= this many seconds cannot be back when it fires")
    ping_stall: bool = param(True, doc="a phase may wait on a slow brick, and a brick that already answered may disconnect "
                             "and return unnoticed meanwhile. The wait ends at network.ping-timeout (42 s, 20 s in the "
                             "virt group) only if the slow brick stops answering pings; one whose disk hangs still "
                             "answers them (rpcsvc.c rpcsvc_ping) and the wait lasts up to network.frame-timeout "
                             "(1800 s, call_bail): long enough for a host reboot")
    shd_links: bool = param(False, doc="the healers' links to the bricks are state of their own (shd_link_loss, "
                            "shd_link_repair): a heal needs every brick reachable from the healer, not just up "
                            "(__afr_selfheal_data skips unless all bricks are locked). Off: a healer reaches every "
                            "brick that is up. The deployment turns it on for storage-loss, which cuts the other "
                            "nodes' self-heal daemons from the host's bricks")
    arbiter_fop_quorum: bool = param(False, doc="afr_handle_quorum of GlusterFS before 7.7 (3.12 .. 7.6): on an arbiter "
                                     "volume afr_has_arbiter_fop_cbk_quorum keeps the write if the pre-op sources "
                                     "(afr_compute_pre_op_sources) where it did not fail are two or more, or one data "
                                     "brick; removed by e2235217a1 (master, v9.0; backports in 7.7 and 8.0). Off: "
                                     "afr_has_fop_cbk_quorum, client quorum over the pre-op'd bricks where it succeeded")
    partitions: str = param("", doc="steady partitions of the network (the deployment's storage-loss of a host): "
                            "groups of members joined by '+' (client<i>, brick<j>), groups separated by '/', e.g. "
                            "'client0+brick0/client0+brick1'. The fault storage_cut(g=part<k>) severs at once every "
                            "link between group k and the other members, and the healers from its bricks, for good; "
                            "each side notices a severed link at its own time (detect, a fair step); a request sent "
                            "before the cut may still complete, none sent after it crosses. Empty: no partition")


def partition_groups(p: Params) -> list[frozenset[str]]:
    """The member groups of ``partitions`` ('client0+brick0/...'), each checked against the model's members."""
    if not p.partitions:
        return []
    members = {f"client{i}" for i in range(p.clients)} | {f"brick{j}" for j in range(p.replica)}
    groups = []
    for k, text in enumerate(p.partitions.split("/")):
        names = [x.strip() for x in text.split("+")]
        if not all(names):
            raise BadInput(f"parameter partitions: group {k + 1} of {p.partitions!r} has an empty member")
        for x in names:
            if x not in members:
                raise BadInput(f"parameter partitions: {x!r} in group {k + 1} is not a member "
                               f"(members: {', '.join(sorted(members))})")
        groups.append(frozenset(names))
    if len(groups) > 3:
        raise BadInput(f"parameter partitions: {len(groups)} groups, at most 3")
    return groups


def check_params(p: Params) -> None:
    if p.arbiter and p.replica != 3:
        raise BadInput("an arbiter needs replica 3 (replica 3 arbiter 1); got replica 2 with arbiter=true")
    if p.quorum_count > p.replica:
        raise BadInput(f"quorum_count {p.quorum_count} is above the replica count {p.replica}")
    if p.quorum_type == "fixed" and p.quorum_count < 1:
        raise BadInput("quorum_type=fixed needs quorum_count between 1 and the replica count")
    if p.crash_brick >= p.replica:
        raise BadInput(f"crash_brick {p.crash_brick} is not a brick of replica {p.replica} (bricks 0..{p.replica - 1}, "
                       "or -1 for any)")
    partition_groups(p)


def quorum_count_of(p: Params) -> int:
    """afr_get_quorum_count: auto -> N/2+1, fixed -> quorum-count, none -> 0."""
    if p.quorum_type == "none":
        return 0
    if p.quorum_type == "auto":
        return p.replica // 2 + 1
    return p.quorum_count


def build(p: Params) -> Model:
    check_params(p)
    m = Model("gluster_arbiter", doc=__doc__)
    N = p.replica
    Brick = m.sort("Brick", N)  # not symmetric: brick 0 breaks auto-quorum ties, brick 2 may be the arbiter
    Client = m.sort("Client", p.clients)  # not symmetric: write w belongs to client w mod clients
    Write = m.sort("Write", p.writes)
    bricks = list(Brick)
    arb = bricks[2] if p.arbiter else None
    data_bricks = [b for b in bricks if b != arb]
    data_bricks_names = [b.name for b in data_bricks]

    def owner_of(w):
        return Client[w.index % p.clients]

    m.lane(Write, owner_of)  # drawings: a write's transaction in its client's lane

    def writes_of(c):
        return [w for w in Write if owner_of(w) == c]

    # ---- state ------------------------------------------------------------------------------
    up = m.var("up", Map(Brick, Bool), init=True, doc="brick process (and its node) running")
    data = m.var("data", Map(Brick, Set(Write)), init=set(), doc="writes applied on each brick (arbiter: always empty)")
    dirty = m.var("dirty", Map(Brick, Int(0, DIRTY_MAX)), init=0, doc="trusted.afr.dirty (data), saturating at 2")
    blame = m.var("blame", Map(Brick, Set(Brick)), init=set(),
                  doc="blame[i] has k: brick i holds a pending data count for brick k (trusted.afr.<vol>-client-k)")
    newest = m.var("newest", Set(Brick), init=set(data_bricks_names),
                   doc="data bricks whose mtime is the newest: they applied the most recent write op")
    reach = m.var("reach", Map(Client, Map(Brick, Bool)), init=True, doc="client is connected to brick")
    if p.full_lock:
        owner = m.var("owner", Map(Brick, Elem(Write, optional=True)), init=None,
                      doc="write holding the full-file inodelk on each brick")
    else:
        # range locks: writes do not exclude each other, but each lock is still the client's and is
        # dropped by the brick when the client disconnects (pl_client_disconnect_cbk ->
        # pl_inodelk_client_cleanup in xlators/features/locks/src, whatever the range), and no
        # transaction takes it again on reconnect (AFR's lock healing, afr_lock_heal, is only for
        # the application's mandatory-mode posix locks of afr_lk, not for transaction inodelks)
        held = m.var("held", Map(Write, Set(Brick)), init=set(),
                     doc="bricks on which the write still holds its range inodelk (range locks only)")
    phase_t = Enum(*PHASES)
    phase = m.var("phase", Map(Write, phase_t), init="idle", doc="transaction phase of each write")
    lk = m.var("locked", Map(Write, Set(Brick)), init=set(), doc="bricks locked (= pre_op[] upstream)")
    fl = m.var("failed", Map(Write, Set(Brick)), init=set(), doc="failed_subvols: never locked, pre-op/op/post-op failed")
    rd = m.var("readable", Map(Write, Set(Brick)), init=set(),
                doc="write_subvol datamap, set at the pre-op: data bricks no pre-op reply accuses (afr_write_subvol_set)")
    gone = m.var("gone", Map(Write, Set(Brick)), init=set(),
                 doc="bricks that disconnected while this write's post-op was in flight to them or delayed "
                 "(and cannot reconnect before it fires): it fails there (ENOTCONN)")
    bad = m.var("bad", Map(Write, Bool), init=False, doc="op_ret < 0: the write has failed")
    acked = m.var("acked", Map(Write, Bool), init=False, doc="the application got success for this write")
    if p.shd_links:
        shd_reach = m.var("shd_reach", Map(Brick, Bool), init=True,
                          doc="the healers (self-heal daemons, client-side heal) reach the brick")
    faults = m.fault_budget(p.max_faults)
    groups = partition_groups(p)
    q312 = p.arbiter_fop_quorum and p.arbiter and p.quorum_type != "none"
    if q312:
        pos = m.var("pre_op_sources", Map(Write, Set(Brick)), init=set(),
                    doc="afr_compute_pre_op_sources: bricks whose pre-op answered and that no answer blames")
    if groups:
        Part = m.sort("Part", len(groups))
        cut = m.var("cut", Map(Part, Bool), init=False, doc="the partition has happened (storage_cut): it lasts")
        seen = m.var("seen", Map(Write, Set(Part)), init=set(),
                     doc="partitions already in place when the write's outstanding requests were sent")

    def splits(g, c, b):
        """Group g separates client c from brick b (static: one is in the group, the other not)."""
        return (c.name in groups[g]) != (b.name in groups[g])

    def severed(c, b):
        """Some partition that has happened cuts the client-brick link."""
        return or_(*(cut[Part[g]] for g in range(len(groups)) if splits(g, c, b)))

    def dead_now(c, b):
        """A request sent now to b cannot cross: the client still thinks the link is up, but it is cut."""
        return reach[c][b] & severed(c, b)

    def dead_for(w, c, b):
        """w's outstanding request to b was sent after a partition that cuts the link: it cannot cross.
        One sent before it may have crossed (and its reply come back) before the cut."""
        return reach[c][b] & or_(*(cut[Part[g]] & seen[w].has(Part[g]) for g in range(len(groups)) if splits(g, c, b)))

    def blocked(tgt, dead):
        """A phase waits (no reply) while a request it sent to a target brick cannot cross: until the
        client notices the cut link (detect) and the request fails (ENOTCONN)."""
        return or_(*(tgt[b] & dead(b) for b in bricks))

    def sent_now(w):
        """Record the partitions in place as w's next requests go out."""
        return {seen[w].entries[Part[g]]: cut[Part[g]] for g in range(len(groups))}

    # ---- derived predicates -----------------------------------------------------------------
    qc = quorum_count_of(p)
    quorum_on = p.quorum_type != "none"

    def server_ok(upv):
        if p.server_quorum == "none":
            return TRUE
        return glusterd_server_quorum(sum_(ite(upv[b], 1, 0) for b in bricks), N, p.server_quorum_ratio)

    sq = server_ok({b: up[b] for b in bricks})

    def eff(b):
        """The brick serves I/O: running and not stopped by glusterd for lack of server quorum."""
        return up[b] & sq

    def avail(c, b):
        return eff(b) & reach[c][b]

    def has_quorum(members):
        """afr_has_quorum over the brick set given as {brick: Bool expr}."""
        if not quorum_on:
            return TRUE
        u = sum_(ite(members[b], 1, 0) for b in bricks)
        return afr_client_quorum(u, N, members[bricks[0]], p.quorum_type, qc)

    def readable_set(c):
        """Data bricks the client may read: connected and blamed by no connected brick."""
        return {b: (avail(c, b) & ~or_(*(avail(c, i) & blame[i].has(b) for i in bricks if i != b))
                    if b != arb else FALSE) for b in bricks}

    def ph(v):
        """A phase constant (ite cannot infer an Enum type from a bare string)."""
        return lift(v, phase_t)

    def active(w):
        return or_(*(phase[w] == ph for ph in ACTIVE))

    def nothing_failed(w):
        return ~or_(*(lk[w].has(b) & fl[w].has(b) for b in bricks))

    def clear(w):
        upd = {lk[w]: set(), fl[w]: set(), rd[w]: set(), gone[w]: set(), bad[w]: False}
        if q312:
            upd[pos[w]] = set()
        if not p.full_lock:
            upd[held[w]] = set()
        return upd

    def drop_range_locks(writes, lost):
        """Range locks: bricks ``lost`` ({brick: Bool expr}) drop the inodelks of ``writes``. A brick's
        disconnect cleanup (server_connection_cleanup -> gf_client_disconnect -> pl_client_disconnect_cbk
        -> pl_inodelk_client_cleanup) releases every inodelk of the client, whatever its range, exactly
        as ``owner`` loses a full-file lock; a crashed brick loses them with its memory."""
        if p.full_lock:
            return {}
        return {held[w].entries[b]: held[w].has(b) & ~lost[b] for w in writes for b in bricks}

    delay_on = p.eager_lock and p.post_op_delay > 0
    # rpc_clnt_handle_disconnect (rpc/rpc-lib/src/rpc-clnt.c) only arms a reconnect timer of 3 s; the
    # delayed post-op fires at most post-op-delay-secs after the delay began (afr_changelog_post_op's
    # timer, or at once when a later write must release the lock, __need_previous_lock_unlocked). So a
    # connection lost during the delay is still down when the post-op is sent: it fails there.
    drop_sticks = delay_on and p.post_op_delay <= p.reconnect_interval

    def delayed(w):
        """The delayed post-op (afr_changelog_post_op -> afr_is_delayed_changelog_post_op_needed): with
        eager-lock and post-op-delay-secs > 0, a write whose op completed with nothing failed (it is
        acked in the same callback, __afr_inode_write_cbk) waits for its post-op with no request in
        flight on any brick."""
        return (phase[w] == "oped") & nothing_failed(w) if delay_on else FALSE

    def in_flight(w):
        """A request of w's current phase is in flight to its locked bricks: each phase is wound from the
        previous phase's callbacks (afr_changelog_pre_op -> afr_transaction_perform_fop ->
        afr_transaction_fop -> __afr_inode_write_cbk -> afr_transaction_resume -> afr_changelog_post_op).
        In the model's phases: locked = pre-op in flight, preop = op in flight, oped and refused = post-op
        in flight (computed in the same callback that unwinds), unless the post-op is delayed."""
        return or_(*(phase[w] == x for x in ("locked", "preop", "oped", "refused"))) & ~delayed(w)

    def may_stall(w, b, down):
        """Brick b's reply is in and AFR waits on another locked, not failed brick of w that stays
        connected through this event (a slow brick, for up to network.ping-timeout; one that
        disconnects fails): the only moment b may disconnect without failing in w."""
        return or_(*(lk[w].has(x) & ~fl[w].has(x) & ~gone[w].has(x) & avail(owner_of(w), x) & ~down[x]
                     for x in bricks if x != b))

    def enotconn(writes, down, stall):
        """Brick(s) ``down`` ({brick: Bool}) disconnect: a request of a write in flight there fails with
        ENOTCONN (rpc-clnt saved_frames_unwind) and the brick joins failed_subvols
        (afr_transaction_fop_failed) for the rest of the transaction -- even if it comes back before the
        next phase. A pre-op or op in flight marks ``failed``; a post-op in flight was computed before the
        disconnect (its blame and afr_handle_quorum are unchanged), it only fails there: ``gone``. With
        ``stall`` the bricks had answered and AFR was waiting on another one (ping_stall)."""
        upd = {}
        for w in writes:
            early = (phase[w] == "locked") | (phase[w] == "preop")
            hit = {}
            for x in bricks:
                hit[x] = down[x] & in_flight(w) & lk[w].has(x) & ~fl[w].has(x)
                if stall:
                    hit[x] = hit[x] & ~may_stall(w, x, down)
            if not stall:
                # a failed reply may be the last one AFR waited for: the phase completes now and the next
                # phase is sent at once, failing on every brick not connected at this moment (one that
                # disconnected during an earlier stall fails here even if it comes back later)
                ends = or_(*hit.values())
                for x in bricks:
                    hit[x] = hit[x] | (ends & in_flight(w) & lk[w].has(x) & ~fl[w].has(x) & ~avail(owner_of(w), x))
            for x in bricks:
                # a brick dropped during w's delayed post-op (nothing in flight, so nothing fails now)
                # cannot reconnect before the post-op fires (drop_sticks): the post-op fails there
                dropped = (down[x] & delayed(w) & lk[w].has(x)) if drop_sticks else FALSE
                upd[fl[w].entries[x]] = fl[w].has(x) | (hit[x] & early)
                upd[gone[w].entries[x]] = gone[w].has(x) | (hit[x] & ~early) | dropped
        return upd

    def stall_possible(writes, down):
        """The stall variant of a disconnect differs from the plain one: some write could be waiting."""
        return or_(*(down[x] & in_flight(w) & lk[w].has(x) & ~fl[w].has(x) & may_stall(w, x, down)
                     for w in writes for x in bricks))

    # ---- client steps -----------------------------------------------------------------------
    @m.action(w=Write, fair="weak")
    def lock(w):
        """Lock (afr_lock; afr_set_transaction_flock: full-file inodelk, or the write's range with
        full_lock off): lock every connected brick; afr_has_fop_quorum on them."""
        c = owner_of(w)
        tgt = {b: avail(c, b) for b in bricks}
        free = and_(*(owner[b].is_none() | ~tgt[b] for b in bricks)) if p.full_lock else TRUE
        upd = {phase[w]: "locked", **sent_now(w)}
        for b in bricks:
            upd[lk[w].entries[b]] = tgt[b]
            upd[fl[w].entries[b]] = ~tgt[b]
            if p.full_lock:
                upd[owner[b]] = ite(tgt[b], w, owner[b])
            else:
                upd[held[w].entries[b]] = tgt[b]
        grd = (phase[w] == "idle") & free & or_(*tgt.values()) & has_quorum(tgt)
        if groups:
            grd = grd & ~blocked(tgt, lambda b: dead_now(c, b))
        return grd, upd

    @m.action(w=Write, fair="weak")
    def lock_refused(w):
        """No quorum among the connected bricks (afr_has_quorum at start / after lock): fail, change nothing."""
        c = owner_of(w)
        tgt = {b: avail(c, b) for b in bricks}
        if not quorum_on:
            return (phase[w] == "idle") & ~or_(*tgt.values()), {phase[w]: "done"}
        return (phase[w] == "idle") & ~has_quorum(tgt), {phase[w]: "done"}

    @m.action(w=Write, fair="weak")
    def pre_op(w):
        """PreOp (afr_changelog_pre_op): dirty += 1 on the locked bricks that answer; then the checks of
        afr_txn_arbitrate_fop (rule ii), afr_changelog_has_quorum and afr_is_write_subvol_valid (rule iii)."""
        c = owner_of(w)
        ok = {b: lk[w].has(b) & ~fl[w].has(b) & avail(c, b) for b in bricks}
        f1 = {b: fl[w].has(b) | (lk[w].has(b) & ~avail(c, b)) for b in bricks}
        upd = {}
        for b in bricks:
            upd[dirty[b]] = ite(ok[b], min_(dirty[b] + 1, DIRTY_MAX), dirty[b])
        # rule (ii): pre-op sources = answering bricks blamed by no answer (values after this pre-op)
        veto = FALSE
        if arb is not None and p.arbiter_veto:
            src = {j: ok[j] & ~or_(*(ok[i] & blame[i].has(j) for i in bricks if i != j)) for j in bricks}
            nsrc = sum_(ite(src[j], 1, 0) for j in bricks)
            veto = (nsrc < 2) & src[arb]
        if q312:  # v3.12.15 afr_txn_arbitrate_fop -> afr_compute_pre_op_sources (afr-transaction.c)
            for j in bricks:
                upd[pos[w].entries[j]] = ok[j] & ~or_(*(ok[i] & blame[i].has(j) for i in bricks if i != j))
        f2 = {b: f1[b] | veto for b in bricks}
        cq = has_quorum({b: ~f2[b] for b in bricks}) & or_(*(~f2[b] for b in bricks))
        # afr_write_subvol_set (in afr_transaction_perform_fop, before rule ii): afr_readables_fill over
        # the pre-op replies. A data brick is in the write_subvol datamap unless an answering brick
        # accuses it; a brick that did not answer (never locked, pre-op lost) accuses no one and stays in.
        wsub = {b: ~or_(*(ok[i] & blame[i].has(b) for i in bricks if i != b)) for b in data_bricks}
        for b in data_bricks:
            upd[rd[w].entries[b]] = wsub[b]
        wsv = or_(*(wsub[b] & ~f2[b] for b in data_bricks)) if p.write_subvol_check else TRUE
        passed = ~veto & cq & wsv
        upd[phase[w]] = ite(passed, ph("preop"), ph("refused"))
        upd[bad[w]] = ~passed
        for b in bricks:
            upd[fl[w].entries[b]] = f2[b]
        upd.update(sent_now(w))
        if groups:
            return (phase[w] == "locked") & ~blocked({b: lk[w].has(b) & ~fl[w].has(b) for b in bricks},
                                                     lambda b: dead_for(w, c, b)), upd
        return phase[w] == "locked", upd

    @m.action(w=Write, fair="weak")
    def op(w):
        """Op (afr_transaction_fop -> writev on every pre-op'd, non-failed brick): applied where connected."""
        c = owner_of(w)
        tgt = {b: lk[w].has(b) & ~fl[w].has(b) for b in bricks}
        succ = {b: tgt[b] & avail(c, b) for b in bricks}
        anysucc = or_(*succ.values())
        anydata = or_(*(succ[b] for b in data_bricks))
        upd = {phase[w]: "oped", bad[w]: ~anysucc}
        for b in data_bricks:  # the data bricks that applied this write now hold the newest ctime
            upd[newest.entries[b]] = ite(anydata, succ[b] | (lk[w].has(b) & data[b].has(w)), newest.has(b))
        for b in bricks:
            upd[fl[w].entries[b]] = fl[w].has(b) | (tgt[b] & ~succ[b])
            if b != arb:
                upd[data[b].entries[w]] = data[b].has(w) | succ[b]
        upd.update(sent_now(w))
        if groups:
            return (phase[w] == "preop") & ~blocked(tgt, lambda b: dead_for(w, c, b)), upd
        return phase[w] == "preop", upd

    @m.action(w=Write, b=Brick, applied=Bool, fault=True)
    def op_error(w, b, applied):
        """The op fails on one connected brick before the client sends it (EIO/ENOSPC/EINVAL; applied=True:
        the brick applied it but the reply was lost): the brick joins failed_subvols."""
        c = owner_of(w)
        if applied and b == arb:
            return None
        upd = {fl[w].entries[b]: True}
        if applied:
            upd[data[b].entries[w]] = True
        return (phase[w] == "preop") & lk[w].has(b) & ~fl[w].has(b) & avail(c, b), upd

    if delay_on:
        @m.action(w=Write, v=Write)
        def inherit(w, v):
            """Eager-lock handover (__afr_eager_lock_handle, afr_changelog_pre_op_inherit): write w of the
            same client arrives during v's delayed post-op; the timer is cancelled, w takes over v's
            inodelk and its pre-op (no new dirty count), and v's post-op does nothing
            (afr_changelog_pre_op_uninherit: the inherited dirty is undone by the last write). Only while
            v's locks are intact: a disconnect changes the event generation and forces a release
            (__need_previous_lock_unlocked). Not fair: w may as well come after the delay."""
            if v == w or owner_of(v) != owner_of(w):
                return None
            c = owner_of(w)
            if p.full_lock:
                intact = and_(*(~lk[v].has(b) | (owner[b] == v) for b in bricks))
            else:
                intact = and_(*(~lk[v].has(b) | held[v].has(b) for b in bricks))
            # a disconnect during the delay bumped priv->event_generation: no handover
            intact = intact & ~or_(*(gone[v].has(b) for b in bricks))
            upd = {phase[v]: "done", **clear(v), phase[w]: "preop", bad[w]: False, **sent_now(w)}
            for b in bricks:
                upd[lk[w].entries[b]] = lk[v].has(b)
                upd[fl[w].entries[b]] = fl[v].has(b)
                if q312:
                    upd[pos[w].entries[b]] = pos[v].has(b)
                if b != arb:
                    upd[rd[w].entries[b]] = rd[v].has(b)
                if p.full_lock:
                    upd[owner[b]] = ite(owner[b] == v, w, owner[b])
                else:
                    upd[held[w].entries[b]] = held[v].has(b)
            return (phase[w] == "idle") & delayed(v) & acked[v] & intact, upd

    @m.action(w=Write, fair="weak")
    def ack(w):
        """Ack before post-op (__afr_inode_write_cbk: afr_txn_nothing_failed -> unwind, then resume)."""
        return (phase[w] == "oped") & ~acked[w] & ~bad[w] & nothing_failed(w), {acked[w]: True}

    def post_op_updates(w, lost):
        c = owner_of(w)
        f0 = {b: fl[w].has(b) for b in bricks}
        # afr_handle_quorum: the op succeeded on too few pre-op'd bricks -> mark every pre-op'd failed
        hq = FALSE
        if q312:
            # v3.12.15 afr_handle_quorum -> afr_has_arbiter_fop_cbk_quorum: the pre-op sources where the
            # fop did not fail; none, or the arbiter alone, fails the write (one data brick keeps it)
            live = {b: pos[w].has(b) & ~f0[b] for b in bricks}
            nlive = sum_(ite(live[b], 1, 0) for b in bricks)
            hq = ~bad[w] & ((nlive == 0) | ((nlive == 1) & live[arb]))
        elif quorum_on:
            hq = ~bad[w] & ~has_quorum({b: lk[w].has(b) & ~f0[b] for b in bricks})
        f1 = {b: f0[b] | (hq & lk[w].has(b)) for b in bricks}
        bad1 = bad[w] | hq
        nf1 = ~or_(*(lk[w].has(b) & f1[b] for b in bricks))
        skip = bad1 & ~nf1  # op failed and a pre-op'd brick failed: no xattrop, dirty stays
        infl = FALSE
        if p.in_flight_check:  # rule (iv), computed in __afr_inode_write_finalize when the op ran
            infl = (phase[w] == "oped") & (rd[w].size() == 1) & rd[w].subset_of(fl[w])
        xa = ~skip & ~infl
        tgt = {b: xa & lk[w].has(b) & ~f1[b] for b in bricks}
        deliv = {b: tgt[b] & avail(c, b) & ~gone[w].has(b) & (FALSE if b == lost else TRUE) for b in bricks}
        f2 = {b: f1[b] | (tgt[b] & ~deliv[b]) for b in bricks}
        upd = {phase[w]: "posted"}
        for b in bricks:
            upd[fl[w].entries[b]] = f2[b]
            upd[dirty[b]] = ite(deliv[b], max_(dirty[b] - 1, 0), dirty[b])
            for k in bricks:
                if k != b:
                    upd[blame[b].entries[k]] = blame[b].has(k) | (deliv[b] & f1[k])
        # afr_changelog_post_op_done: fail without quorum of non-failed bricks
        upd[bad[w]] = bad1 | infl | ~has_quorum({b: ~f2[b] for b in bricks})
        guard = ((phase[w] == "oped") | (phase[w] == "refused")) & \
            (acked[w] | bad[w] | ~nothing_failed(w) | (phase[w] == "refused"))
        if groups:  # a delayed post-op is sent now; otherwise it went out when the op (or refused pre-op) completed
            pending = {b: tgt[b] & ~gone[w].has(b) for b in bricks}
            guard = guard & ~blocked(pending, lambda b: ite(delayed(w), dead_now(c, b), dead_for(w, c, b)))
        if lost is not None:
            guard = guard & tgt[lost] & avail(c, lost) & ~gone[w].has(lost)
        return guard, upd

    @m.action(w=Write, fair="weak")
    def post_op(w):
        """PostOp (afr_changelog_post_op_do): blame every failed brick on each brick that answers, dirty -= 1."""
        return post_op_updates(w, None)

    @m.action(w=Write, b=Brick, fault=True)
    def post_op_lost(w, b):
        """PostOp whose xattrop to brick b is lost (b keeps its dirty count and learns no blame)."""
        return post_op_updates(w, b)

    @m.action(w=Write, fair="weak")
    def unlock(w):
        """Unlock (afr_unlock) and afr_transaction_done: a write not acked yet is acked now if it succeeded."""
        upd = {phase[w]: "done", acked[w]: acked[w] | ~bad[w], **clear(w)}
        if p.full_lock:
            for b in bricks:
                upd[owner[b]] = ite(owner[b] == w, None, owner[b])
        return phase[w] == "posted", upd

    # ---- self-heal --------------------------------------------------------------------------
    def heal_sources():
        """afr_selfheal_find_direction with replies from every brick: (sources, data sources after the
        witness tie-break among data bricks)."""
        accused = {j: sum_(ite(blame[i].has(j), 1, 0) for i in bricks if i != j) for j in bricks}
        src0 = {j: accused[j] == 0 for j in bricks}
        none0 = ~or_(*src0.values())
        if p.heal_accused_quorum and qc > 0:  # afr_selfheal_post_op_failure_accounting
            src = {j: src0[j] | (none0 & (accused[j] < qc)) for j in bricks}
        else:
            src = src0
        maxd = None
        for j in data_bricks:
            v = ite(src[j], dirty[j], 0)
            maxd = v if maxd is None else max_(maxd, v)
        if p.heal_choice == "any":  # the over-approximation: any source tied on witness and mtime
            wit = or_(*(src[j] & (dirty[j] > 0) for j in data_bricks))
            d1 = {j: src[j] & (~wit | (dirty[j] == maxd)) for j in data_bricks}
            anynew = or_(*(d1[j] & newest.has(j) for j in data_bricks))
            dsrc = {j: d1[j] & (~wit | ~anynew | newest.has(j)) for j in data_bricks}
            return src, dsrc
        # __afr_selfheal_data_finalize_source (afr-self-heal-data.c). With no witness on any source
        # (afr_has_source_witnesses; sizes are equal) it goes straight to afr_choose_source_by_policy,
        # which prefers the healer's local brick: the self-heal daemon of each data brick's node may
        # heal, so any data source may be chosen. Otherwise it narrows the sources to one:
        wit = or_(*(src[j] & (dirty[j] > 0) for j in bricks))
        # afr_mark_largest_file_as_source: the arbiter (size 0) drops out, data bricks tie (same-size
        # overwrites); afr_mark_biggest_witness_as_source: the largest dirty count among data sources
        d1 = {j: src[j] & (dirty[j] == maxd) for j in data_bricks}
        # afr_mark_newest_file_as_source: the newest ia_ctime, compared with max_ctime <= so that on a
        # tie the highest index wins, and exactly one source is kept. Bricks that applied the latest
        # write share its ctime (features.ctime: the client's time); when no remaining source applied
        # it, their order is unknown to the model and any of them may be kept.
        anynew = or_(*(d1[j] & newest.has(j) for j in data_bricks))
        tie = {j: d1[j] & (~anynew | newest.has(j)) for j in data_bricks}
        pick = {j: tie[j] & (~anynew | ~or_(*(tie[k] for k in data_bricks if k.index > j.index)))
                for j in data_bricks}
        dsrc = {j: ite(wit, pick[j], src[j]) for j in data_bricks}
        return src, dsrc

    src, dsrc = heal_sources()
    # __afr_selfheal_data (afr-self-heal-data.c) first takes the full-file inodelk (offset 0, length 0)
    # in the AFR domain on every brick with afr_selfheal_inodelk (afr-self-heal-common.c): a
    # non-blocking F_SETLK on all bricks and, if any answers EAGAIN (a conflicting lock), an unlock and
    # a blocking F_SETLKW on each brick in turn (AFR_SEQ). So a held lock makes the heal wait, not give
    # up; it skips ("ret < priv->child_count") only when a brick does not answer (down or unreachable).
    # Any transaction inodelk still held on a brick, full-file or range, overlaps the heal's lock: the
    # atomic heal step is enabled once none is held (waiting, then healing = healing later); a lock
    # the brick dropped on a disconnect does not delay it. (While it waits the heal holds the bricks it
    # already locked, which delays new transactions: not modelled, "Abstractions".)
    if p.full_lock:
        heal_free = and_(*(owner[b].is_none() for b in bricks))
    else:
        heal_free = and_(*(~held[w].has(b) for w in Write for b in bricks))
    # __afr_selfheal_data: "if (ret < priv->child_count) ... Skipping self-heal": the healer must lock every
    # brick, so a brick it cannot reach (shd_links) blocks the heal as much as one that is down
    heal_possible = and_(*(eff(b) & (shd_reach[b] if p.shd_links else TRUE) for b in bricks)) & heal_free
    for g, grp in enumerate(groups):  # a partition cuts the healers of one side from the bricks of the other
        if any(b.name in grp for b in bricks):
            heal_possible = heal_possible & ~cut[Part[g]]
    needs_heal = or_(*(blame[i].has(k) for i in bricks for k in bricks if i != k)) | \
        or_(*(dirty[b] > 0 for b in bricks))

    @m.action(s=Brick, fair="weak")
    def heal(s):
        """Self-heal (afr_selfheal_data under locks on all bricks): copy the chosen data source to the
        sinks, reset every changelog. Never from the arbiter (__afr_selfheal_data)."""
        if s == arb:
            return None
        upd = {}
        for j in data_bricks:
            if j != s:
                for w in Write:
                    upd[data[j].entries[w]] = ite(dsrc[j], data[j].has(w), data[s].has(w))
                # afr_selfheal_restore_time: a healed sink gets the source's times
                upd[newest.entries[j]] = ite(dsrc[j], newest.has(j), newest.has(s))
        for b in bricks:
            upd[dirty[b]] = 0
            for k in bricks:
                if k != b:
                    upd[blame[b].entries[k]] = False
        return heal_possible & needs_heal & dsrc[s], upd

    # ---- faults and repairs -----------------------------------------------------------------
    def crash_step(b, stall):
        if p.crash_brick >= 0 and b.index != p.crash_brick:
            return None
        upd = {up[b]: False}
        after = server_ok({x: (FALSE if x == b else up[x]) for x in bricks})
        down = {x: TRUE if x == b else (~after & up[x] if p.server_quorum != "none" else FALSE) for x in bricks}
        if p.full_lock:
            for x in bricks:
                upd[owner[x]] = None if x == b else ite(after, owner[x], None)
        else:
            upd.update(drop_range_locks(list(Write), down))  # b, and the bricks glusterd stops
        upd.update(enotconn(list(Write), down, stall))
        return up[b] & (stall_possible(list(Write), down) if stall else TRUE), upd

    @m.action(b=Brick, fault=True, rate=fail_rate("brick-crash"))
    def brick_crash(b):
        """A brick (its node) goes down; its locks are released. Without server quorum glusterd stops every
        brick. A request outstanding on a stopped brick fails with ENOTCONN: the brick is failed for the
        rest of that transaction (``enotconn``)."""
        return crash_step(b, False)

    if p.ping_stall:
        @m.action(b=Brick, fault=True)
        def brick_crash_stalled(b):
            """brick_crash while AFR waits on another, slow brick (up to network.ping-timeout) and b has
            already answered: b is not failed, and the next phase is sent to it if it is back by then."""
            return crash_step(b, True)

    @m.action(b=Brick, env=True, rate=repair_rate("brick-crash"), repairs="brick_crash")
    def brick_restart(b):
        """The brick comes back (glusterd restarts it)."""
        return ~up[b], {up[b]: True}

    def link_step(c, b, stall):
        mine = writes_of(c)
        upd = {reach[c][b]: False}
        if p.full_lock and mine:
            upd[owner[b]] = ite(or_(*(owner[b] == w for w in mine)), None, owner[b])
        down = {x: TRUE if x == b else FALSE for x in bricks}
        upd.update(drop_range_locks(mine, down))
        upd.update(enotconn(mine, down, stall))
        return reach[c][b] & (stall_possible(mine, down) if stall else TRUE), upd

    @m.action(c=Client, b=Brick, fault=True, rate=fail_rate("link-loss"))
    def link_loss(c, b):
        """The client loses its connection to a brick; the brick drops the client's locks; the client's
        requests outstanding there fail with ENOTCONN."""
        return link_step(c, b, False)

    if p.ping_stall:
        @m.action(c=Client, b=Brick, fault=True)
        def link_loss_stalled(c, b):
            """link_loss while AFR waits on another, slow brick and b has already answered (ping_stall)."""
            return link_step(c, b, True)

    if groups:
        @m.action(g=Part, fault=True)
        def storage_cut(g):
            """A steady partition (a host's storage network lost, the pulled cable): every link between the
            group and the others is cut at once and stays cut. Nobody notices yet: the client only while it
            has requests outstanding (rpc-clnt-ping.c rpc_clnt_start_ping: no ping when frame_count is 0;
            it gives up after network.ping-timeout), the brick through TCP keepalive (socket.c); see
            ``detect``. Requests sent before the cut may still complete; none sent after it crosses."""
            return ~cut[g], {cut[g]: True}

        @m.action(c=Client, b=Brick, fair="weak")
        def detect(c, b):
            """A cut link is noticed (the client's ping timer, rpc_clnt_ping_timer_expired, or the brick's
            keepalive, server_connection_cleanup -> pl_client_disconnect_cbk): the brick drops the client's
            locks, the client's requests outstanding there fail with ENOTCONN. Fair: it happens within
            network.ping-timeout or the keepalive time. Both sides are merged into one step
            (docs/models/gluster.md)."""
            if not any(splits(g, c, b) for g in range(len(groups))):
                return None
            grd, upd = link_step(c, b, False)
            return grd & severed(c, b), upd

    @m.action(c=Client, b=Brick, env=True, rate=repair_rate("link-loss"), repairs="link_loss")
    def link_repair(c, b):
        """The client reconnects to the brick (never across a partition: it is steady)."""
        if groups:
            return ~reach[c][b] & ~severed(c, b), {reach[c][b]: True}
        return ~reach[c][b], {reach[c][b]: True}

    if p.shd_links:
        @m.action(b=Brick, fault=True)
        def shd_link_loss(b):
            """The self-heal daemons lose their connection to brick b (a network partition of b's node):
            no heal until it is back (__afr_selfheal_data needs the lock on every brick). The heal is one
            atomic step holding no lock between steps, so nothing else changes."""
            return shd_reach[b], {shd_reach[b]: False}

        @m.action(b=Brick, env=True)
        def shd_link_repair(b):
            """The self-heal daemons reconnect to brick b."""
            return ~shd_reach[b], {shd_reach[b]: True}

    @m.action(c=Client, fault=True)
    def client_crash(c):
        """The client crashes (and remounts): its in-flight writes vanish, their locks are released."""
        mine = writes_of(c)
        if not mine:
            return None
        upd = {}
        for w in mine:
            upd[phase[w]] = ite(active(w), ph("done"), phase[w])
            upd.update(clear(w))
        if p.full_lock:
            for b in bricks:
                upd[owner[b]] = ite(or_(*(owner[b] == w for w in mine)), None, owner[b])
        return or_(*(active(w) for w in mine)), upd

    # ---- properties -------------------------------------------------------------------------
    from hacheck.properties.gluster import register

    ctx = GlusterCtx(p=p, Brick=Brick, Client=Client, Write=Write, arb=arb, data_bricks=data_bricks,
                     up=up, data=data, dirty=dirty, blame=blame, reach=reach, phase=phase, lk=lk, fl=fl,
                     bad=bad, acked=acked, faults=faults, rd=rd, gone=gone, owner=owner if p.full_lock else None,
                     eff=eff, avail=avail, has_quorum=has_quorum,
                     readable_set=readable_set, src=src, dsrc=dsrc, heal_possible=heal_possible,
                     needs_heal=needs_heal)
    register(m, ctx)
    # long-run availability (hacheck availability; check does not read it): client quorum as the
    # first client sees it (afr_has_quorum over the bricks it reaches that serve I/O)
    m.availability("volume_writable", has_quorum({b: avail(Client.elements[0], b) for b in bricks}),
                   doc="the first client has client quorum: a write it issues now can succeed")
    return m


@attrs.frozen
class GlusterCtx:
    """Everything properties/gluster.py needs: handles, parameters and derived predicates."""

    p: Params
    Brick: object
    Client: object
    Write: object
    arb: object
    data_bricks: list
    up: object
    data: object
    dirty: object
    blame: object
    reach: object
    phase: object
    lk: object
    fl: object
    bad: object
    acked: object
    faults: object
    rd: object  # readable[w]: the write_subvol datamap taken at the pre-op
    gone: object
    owner: object  # full-file lock owner per brick (None with range locks)
    eff: object
    avail: object
    has_quorum: object
    readable_set: object
    src: dict
    dsrc: dict
    heal_possible: object
    needs_heal: object


SPEC = Spec("gluster_arbiter", Params, build, doc=__doc__, check=check_params)
