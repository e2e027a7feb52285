import attrs
from hacheck.lang import Int, Model, Spec


@attrs.frozen
class Params:
    pass


def build(p):
    m = Model("runtime_range")
    n = m.var("n", Int(0, 3), init=0)

    @m.action()
    def inc():
        return True, {n: n + 1}  # leaves 0..3 after three steps

    m.invariant("small", n <= 3)
    return m


SPEC = Spec("runtime_range", Params, build)
