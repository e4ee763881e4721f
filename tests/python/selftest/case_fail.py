"""A failing test: pytest must exit 1 (run by test_pytest_exit_codes.py)."""


def test_fails() -> None:
    assert sum([1, 2, 3]) == 7, "deliberate failure"
