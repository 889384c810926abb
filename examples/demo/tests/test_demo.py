import pytest
from demo.discounts import percent
from demo.shipping import cost, label


def test_cost():
    assert cost(1) == 4.5
    assert cost(4, express=True) == 12.6
    with pytest.raises(ValueError):
        cost(0)


def test_label_and_percent():
    assert label("DE") == "Inland"
    assert percent(150) == 5.0
    assert percent(10, "WELCOME10") == 10.0
