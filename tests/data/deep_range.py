import attrs
from hacheck.lang import Int, Model, Spec


@attrs.frozen
class Params:
    top: int = 25


def build(p):
    m = Model("deep_range")
    n = m.var("n", Int(0, p.top), init=0)

    @m.action()
    def inc():
        return True, {n: n + 1}  # leaves 0..top after top + 1 steps: deeper than BMC's default depth 20

    m.invariant("small", n <= p.top)  # true of every in-range state: only the range error is wrong
    return m


SPEC = Spec("deep_range", Params, build)
