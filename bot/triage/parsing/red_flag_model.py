"""Placeholder, replaced below."""


def classifier_flags(t: str) -> frozenset[str]:
    return frozenset()
