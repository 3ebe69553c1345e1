"""Helpers shared by the multi-process tests and the benchmarks in ``bench/``."""
