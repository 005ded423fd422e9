"""Test plugins: each module is one plugin with one way of going wrong (or right)."""
