"""bits independent bits that may flip: 2**bits states (no symmetry: each bit is its own sort
element). At the default 26 bits the state store needs over 1 GB: the memory-limit tests run it
under a limit of a few hundred MB; a long run for the SIGTERM tests."""
import attrs
from hacheck.lang import Bool, Map, Model, Spec, forall, param


@attrs.frozen
class Params:
    bits: int = param(26, low=1, high=30, doc="number of bits")


def build(p):
    m = Model("many_states")
    Bit = m.sort("Bit", p.bits, symmetric=False)
    b = m.var("b", Map(Bit, Bool), init=False)

    @m.action(i=Bit)
    def flip(i):
        return True, {b[i]: ~b[i]}

    m.invariant("not_all_set_and_clear", ~(forall(Bit, lambda i: b[i]) & forall(Bit, lambda i: ~b[i])))
    return m


SPEC = Spec("many_states", Params, build)
