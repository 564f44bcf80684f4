"""The pull-request workflow around a catalog: escalations, CODEOWNERS, CLI profiles, plan.

Each module is a set of pure functions over ``rolecat.model`` objects; ``command`` wires
them to the command line.  Nothing here is imported by ``rolecat --help``.
"""
