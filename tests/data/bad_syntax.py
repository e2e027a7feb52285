import attrs
from hacheck.lang import Model, Spec

def build(p):
    m = Model("x"
    return m
