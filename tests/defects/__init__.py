"""Deliberately broken variants of the mock (one planted defect each) and a tolerated variant.

They prove the contract suite catches each kind of break and accepts a correct server that
differs only where the contract is silent.
Run one by hand: `python -m tests.defects NAME [--port P]` (`--list` shows the names).
"""
