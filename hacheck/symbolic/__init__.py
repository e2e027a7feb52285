"""The z3 engine: the same model, encoded as SMT terms (BMC, induction, k-induction, CHC)."""

# BMC back ends with the bv encoding (kept here, free of z3 imports, for the CLI's choices)
SAT_SOLVERS = ("cadical", "z3")
