"""A passing test: pytest must exit 0 (run by test_pytest_exit_codes.py)."""


def test_passes() -> None:
    assert sum([1, 2, 3]) == 6
