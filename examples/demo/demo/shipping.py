"""Shipping costs, with a branch or two."""


def cost(weight_kg: float, express: bool = False) -> float:
    if weight_kg <= 0:
        raise ValueError("weight must be positive")
    base = 4.5 if weight_kg < 2 else 4.5 + (weight_kg - 2) * 1.25
    if express:
        base *= 1.8
    return round(base, 2)


def label(country: str) -> str:
    if country == "DE":
        return "Inland"
    if country in ("AT", "CH"):
        return "DACH"
    return "International"
