"""A model whose build() has a bug (a name that is not defined): bad input, not a crash."""
import attrs
from hacheck.lang import Int, Model, Spec


@attrs.frozen
class Params:
    pass


def build(p):
    m = Model("build_error")
    m.var("n", Int(0, 3), init=0)
    return m if undefined_name else m  # line 14: NameError  # noqa: F821


SPEC = Spec("build_error", Params, build)
