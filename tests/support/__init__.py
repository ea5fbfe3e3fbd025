"""Helpers shared by the tests: a fake clock and the storage contract suite."""
