"""Long-run availability from failure and repair rates (``hacheck availability``).

The model's reachable state graph, built by the explicit engine from the compiled actions, becomes
a Markov automaton: protocol steps are immediate (the scheduler picks among them), ticks and
rated faults, repairs and slow protocol steps are exponential delays. ``chain`` builds it,
``solve`` computes the long-run fraction of time a predicate holds (min and max over schedulers),
``drn`` writes it for Storm. See docs/availability.md.
"""
