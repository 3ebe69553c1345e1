"""The participants' privacy (docs/privacy.md): the information clause, retention, and a
person's own access to and erasure of their data."""
