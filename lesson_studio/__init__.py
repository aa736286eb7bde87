"""Lesson Studio core: plain Python, never imports streamlit (tests/test_core_isolation.py enforces it)."""

__version__ = "0.1.0"
