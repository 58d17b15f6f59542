"""Egress denied unless allowed: the allowlisting proxy a session's containers go out through.

The launch calls :func:`start_egress` once (after the project lock, before the
container), adds ``EgressSession.director()`` (and ``helper(n)`` for each
helper) to the ContainerSpecs, and calls ``EgressSession.close()`` at teardown.
"""
