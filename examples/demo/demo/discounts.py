"""Discount rules; the new loyalty rule is not tested yet."""


def percent(total: float, code: str | None = None) -> float:
    if code == "WELCOME10":
        return 10.0
    if total > 100:
        return 5.0
    return 0.0


def loyalty(years: int) -> float:
    if years >= 5:
        return 7.5
    if years >= 2:
        return 2.5
    return 0.0
