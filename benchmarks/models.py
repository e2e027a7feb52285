"""Scalable benchmark models (built in Python, so the benchmark needs no files)."""

from __future__ import annotations

from hacheck.lang import Bool, Enum, Int, Map, Model, forall


def flips(n: int = 20) -> Model:
    """n independent bits: 2**n states (n = 20: 1,048,576), n transitions per state."""
    m = Model(f"flips{n}")
    Bit = m.sort("Bit", n)
    b = m.var("b", Map(Bit, Bool), init=False)

    @m.action(i=Bit)
    def flip(i):
        return True, {b[i]: ~b[i]}

    m.invariant("not_all_set_and_clear", ~(forall(Bit, lambda i: b[i]) & forall(Bit, lambda i: ~b[i])))
    return m.freeze()


def lease_hosts(n: int = 4, timer: int = 1, epochs: int = 2) -> Model:
    """n hosts competing for one lease, with crashes and a renewal timer: 5 fields per host
    (20 fields for 4 hosts), mixed Bool/Int/Enum types and guards over every host."""
    m = Model(f"lease{n}")
    H = m.sort("Host", n, symmetric=True)
    up = m.var("up", Map(H, Bool), init=True)
    mode = m.var("mode", Map(H, Enum("idle", "want", "hold")), init="idle")
    age = m.var("age", Map(H, Int(0, timer)), init=0)
    epoch = m.var("epoch", Map(H, Int(0, epochs - 1)), init=0)
    seen = m.var("seen", Map(H, Bool), init=False)

    @m.action(h=H)
    def want(h):
        return up[h] & (mode[h] == "idle"), {mode[h]: "want"}

    @m.action(h=H)
    def acquire(h):
        free = forall(H, lambda g: (mode[g] != "hold") | ~up[g] & (age[g] == timer))
        return up[h] & (mode[h] == "want") & free, {mode[h]: "hold", age[h]: 0, epoch[h]: (epoch[h] + 1) % epochs, seen[h]: True}

    @m.action(h=H)
    def renew(h):
        return up[h] & (mode[h] == "hold") & (age[h] > 0), {age[h]: 0}

    @m.action(h=H)
    def tick(h):
        return age[h] < timer, {age[h]: age[h] + 1}

    @m.action(h=H)
    def release(h):
        return up[h] & (mode[h] == "hold"), {mode[h]: "idle"}

    @m.action(h=H)
    def crash(h):
        return up[h], {up[h]: False}

    @m.action(h=H)
    def restart(h):
        return ~up[h] & (age[h] == timer), {up[h]: True, mode[h]: "idle"}

    def live(h):
        return (mode[h] == "hold") & up[h] & (age[h] < timer)

    def apart(a, b):
        return True if a.index >= b.index else ~(live(a) & live(b))

    m.invariant("one_live_holder", forall(H, lambda a: forall(H, lambda b: apart(a, b))),
                doc="at most one host holds an unexpired lease while up")
    return m.freeze()
