"""Certificates of attendance: a PDF for each person checked in, and a public page that
confirms its code (docs/certificates.md)."""
