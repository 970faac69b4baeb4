import pytest

from disentangle.model import normalize_state


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ALASKA", "AK"),
        ("tx", "TX"),
        ("06", "CA"),
        ("District of Columbia", "DC"),
        ("Narnia", None),
        ("", None),
    ],
)
def test_normalize_state(text: str, expected: str | None) -> None:
    assert normalize_state(text) == expected
