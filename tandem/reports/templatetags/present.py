"""Template filters of the one presenter (tandem.reports.present): `{% load present %}{{ cost.total|money:0 }}`."""

from __future__ import annotations

from decimal import Decimal

from django import template

from tandem.reports import present

register = template.Library()


def _float(value: object) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, int | float | Decimal):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None


@register.filter
def money(value: object, decimals: int = 2) -> str:
    return present.money(_float(value), int(decimals))


@register.filter
def number(value: object, decimals: int = 1) -> str:
    return present.number(_float(value), int(decimals))


@register.filter
def signed(value: object, decimals: int = 1) -> str:
    return present.signed(_float(value), int(decimals))


@register.filter
def tier_value(figure: object) -> str:
    return present.tier_value(figure)  # type: ignore[arg-type]


@register.filter
def tier_interval(figure: object) -> str:
    return present.tier_interval(figure)  # type: ignore[arg-type]
