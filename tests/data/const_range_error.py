import attrs
from hacheck.lang import Int, Model, Spec


@attrs.frozen
class Params:
    pass


def build(p):
    m = Model("const_range_error")
    n = m.var("n", Int(0, 3), init=0)

    @m.action()
    def bad():
        return True, {n: 7}  # line 16: outside Int(0, 3)

    return m


SPEC = Spec("const_range_error", Params, build)
