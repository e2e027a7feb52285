"""The modelling language: write a protocol once, as data, for every engine to read."""

from .errors import BadInput, HacheckError, ModelError
from .expr import (
    FALSE, TRUE, Expr, all_, and_, any_, count, exists, explain_as, forall, implies, ite, lift, max_, min_, not_, or_,
    sum_, switch,
)
from .model import ANY, ActionInstance, Model, one_of
from .props import Property
from .sorts import Element, Sort
from .spec import Spec, param
from .types import Bool, Elem, Enum, Int, Map, Set
from .vars import set_of, set_where

__all__ = [
    "ANY", "ActionInstance", "BadInput", "Bool", "Elem", "Element", "Enum", "Expr", "FALSE",
    "HacheckError", "Int", "Map", "Model", "ModelError", "Property", "Set", "Sort", "Spec", "TRUE",
    "all_", "and_", "any_", "count", "exists", "explain_as", "forall", "implies", "ite", "lift", "max_", "min_", "not_",
    "one_of", "or_", "param", "set_of", "set_where", "sum_", "switch",
]
