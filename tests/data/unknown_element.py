import attrs
from hacheck.lang import Bool, Map, Model, Spec


@attrs.frozen
class Params:
    pass


def build(p):
    m = Model("unknown_element")
    H = m.sort("Host", ["h1", "h2"])
    up = m.var("up", Map(H, Bool), init=True)
    m.invariant("h3_up", up["h3"])  # line 14: no such host
    return m


SPEC = Spec("unknown_element", Params, build)
