"""Organiser accounts: who may run which events, and how they prove it."""
