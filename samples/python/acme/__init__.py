"""Acme's Herald rules, written in Python."""
