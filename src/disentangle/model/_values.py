"""Value types: U.S. states with their codes, read from knowledge/states.yaml."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from disentangle.knowledge import load_yaml


@dataclass(frozen=True, slots=True)
class State:
    name: str
    postal: str
    fips: str


@cache
def _states() -> tuple[State, ...]:
    doc = load_yaml("states.yaml")
    return tuple(State(s["name"], s["postal"], s["fips"]) for s in doc["states"])


@cache
def _index() -> dict[str, State]:
    doc = load_yaml("states.yaml")
    index: dict[str, State] = {}
    for entry, state in zip(doc["states"], _states(), strict=True):
        for key in [state.name, state.postal, state.fips, *entry.get("aliases", [])]:
            index[_fold(key)] = state
    return index


def _fold(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


class _States:
    """All states, D.C. and territories, in FIPS order."""

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(_states())

    def __len__(self) -> int:
        return len(_states())


STATES = _States()


def state_by_name(text: str) -> State | None:
    """The state named by a full name, USPS code or FIPS code, in any case and spacing; None if none."""
    if not text:
        return None
    return _index().get(_fold(str(text)))


def normalize_state(text: str) -> str | None:
    """The USPS code of the state `text` names, or None."""
    state = state_by_name(text)
    return state.postal if state else None
