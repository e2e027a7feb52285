"""The z3 engine: the same model, encoded as SMT terms (BMC, induction, k-induction, CHC)."""
