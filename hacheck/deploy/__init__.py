"""Deployment files: what an operator knows about a deployment, checked against every model.

``parse`` reads and validates a TOML file (messages ``FILE:LINE: KEY: ...``; ``locate`` finds the
lines), ``schema`` lists every key, ``mapping`` turns a deployment into failure scenarios and model
runs, ``run`` checks them (``cache`` skips the unchanged ones) and folds the results into one row per
property, ``report`` prints them, ``diff`` compares two deployments, ``cli`` is the command line.
See docs/deployment.md.
"""
