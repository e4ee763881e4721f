"""No tests at all: pytest exits 5, which must count as a failure
(run by test_pytest_exit_codes.py)."""
