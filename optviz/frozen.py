"""A read-only, hashable, picklable dict: the frozen settings' hyperparameters."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping


class FrozenMapping(Mapping):
    """A read-only, hashable, picklable dict (for the frozen settings' hyperparameters)."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping | Iterable = ()) -> None:
        self._data = dict(data)

    def __getitem__(self, key):
        return self._data[key]

    def __iter__(self) -> Iterator:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        return hash(frozenset(self._data.items()))

    def __repr__(self) -> str:
        return repr(self._data)

    def __getstate__(self):
        return self._data

    def __setstate__(self, state) -> None:
        self._data = state
