"""A model whose build() calls sys.exit(1): hacheck must not read that as 'violated'."""
import sys

import attrs
from hacheck.lang import Spec


@attrs.frozen
class Params:
    pass


def build(p):
    sys.exit(1)


SPEC = Spec("exit_in_build", Params, build)
