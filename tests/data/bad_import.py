import attrs
from hacheck.lang import Model, Spec
import no_such_module_anywhere  # line 3
