"""Participants and their registrations: seats, waitlist places, cancellations."""
