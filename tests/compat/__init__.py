"""Differential compatibility tests: one public-API scenario, run against aiokafka 0.14 and
against aiokafka_gen on the same broker, must give the same observation.

``support.py`` holds the per-run environment and the normalisation helpers,
``scenarios.py`` the scenarios (and the few documented deliberate differences),
``test_compare.py`` runs each scenario with both modules and compares.
"""
