"""The shipped protocol models, installed as ``hacheck.models`` (``hacheck models`` lists them;
``hacheck check NAME`` checks one by name)."""
