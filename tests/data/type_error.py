import attrs
from hacheck.lang import Bool, Int, Model, Spec


@attrs.frozen
class Params:
    pass


def build(p):
    m = Model("type_error")
    n = m.var("n", Int(0, 3), init=0)
    b = m.var("b", Bool, init=False)

    @m.action()
    def bad():
        return True, {n: b}  # line 17: a Bool assigned to an Int

    return m


SPEC = Spec("type_error", Params, build)
