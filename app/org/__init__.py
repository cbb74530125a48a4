"""Org tree, staff accounts, roles, and the access scope of a principal."""
