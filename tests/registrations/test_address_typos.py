"""Likely typos in an address's domain are pointed out, never refused."""

from __future__ import annotations

import pytest

from registration.email_addresses import COMMON_DOMAINS, suggest_correction


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("anna@gmial.com", "anna@gmail.com"),
        ("anna@gmail.con", "anna@gmail.com"),
        ("anna@gmail.co", "anna@gmail.com"),
        ("Anna.Kowalska@GMIAL.COM", "Anna.Kowalska@gmail.com"),
        ("jan@wp.pll", "jan@wp.pl"),
        ("jan@onet.pll", "jan@onet.pl"),
        ("jan@ont.pl", "jan@onet.pl"),
        ("jan@intreia.pl", "jan@interia.pl"),
        ("jan@hotmial.com", "jan@hotmail.com"),
        ("jan@outlok.com", "jan@outlook.com"),
    ],
)
def test_a_domain_near_a_common_one_gets_a_suggestion(typed, meant):
    assert suggest_correction(typed) == meant


@pytest.mark.parametrize(
    "typed",
    [
        *(f"jan@{domain}" for domain in COMMON_DOMAINS),
        "jan@um.wroc.pl",
        "jan@strefakultury.pl",
        "jan@uw.edu.pl",
        "jan@gdansk.gda.pl",
        "nie-adres",
        "@gmial.com",
        "jan@",
        "",
    ],
)
def test_common_and_institutional_domains_and_non_addresses_get_none(typed):
    assert suggest_correction(typed) is None
