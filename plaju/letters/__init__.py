"""Letters the office signs: the renderer, the number register (buku agenda), the signer, the public check.

Generic machinery: it knows no area. An area registers a `Subject` (how to draw its letter, who may
read it, where its record lives) and calls `issue()` from its own sign step.
"""
