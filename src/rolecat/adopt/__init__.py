"""Adoption: reading exports of live accounts, drift against the catalog, import."""
