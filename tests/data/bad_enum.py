import attrs
from hacheck.lang import Enum, Model, Spec


@attrs.frozen
class Params:
    pass


def build(p):
    m = Model("bad_enum")
    s = m.var("s", Enum("up", "down"), init="up")
    m.invariant("never_sideways", s != "sideways")  # line 13: not a value of the Enum
    return m


SPEC = Spec("bad_enum", Params, build)
