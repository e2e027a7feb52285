"""The shipped properties and protocol rules, installed as ``hacheck.properties``: a model imports
``from hacheck.properties.rules import afr_client_quorum`` (docs/language.md)."""
