"""hacheck: a model checker for high-availability protocols.

A model is written once with :mod:`hacheck.lang`; every engine reads it.
"""

__version__ = "0.1.0"
