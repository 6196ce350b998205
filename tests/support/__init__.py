"""Test-only support code shared by several test packages (Java reference, fixtures)."""
