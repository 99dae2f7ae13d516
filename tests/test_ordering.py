"""The unit tree order and the given-name order that every list uses."""

from __future__ import annotations

from storage.ordering import UnitOrder, sort_people


def test_tree_order_puts_each_phong_before_its_schools() -> None:
    # 1 Sở; 2, 3 Phòng; 4, 5 schools of 3; 6 a school of 2 imported last.
    order = UnitOrder([(1, None), (2, 1), (3, 1), (4, 3), (5, 3), (6, 2)])
    ranked = order.sort([5, 3, 6, 1, 4, 2], lambda unit: unit)
    assert ranked == [1, 2, 6, 3, 4, 5]


def test_units_with_unknown_parents_and_cycles_do_not_vanish() -> None:
    order = UnitOrder([(10, 99), (11, 12), (12, 11), (13, None)])
    assert order.sort([11, 12, 13, 10], lambda unit: unit) == [10, 13, 11, 12]
    assert order.rank(500) > order.rank(12)  # unknown units last


def test_people_by_given_name_in_vietnamese_order() -> None:
    names = ["Trần Văn Ân", "Nguyễn Thị An", "Lê Văn Đông", "Phạm Dũng", "Đỗ Thị Bình"]
    assert sort_people(names, lambda name: name) == [
        "Nguyễn Thị An",
        "Trần Văn Ân",
        "Đỗ Thị Bình",
        "Phạm Dũng",
        "Lê Văn Đông",
    ]


def test_people_by_unit_then_name() -> None:
    order = UnitOrder([(1, None), (2, 1), (3, 1)])
    people = [(3, "Lê Văn An"), (2, "Trần Văn Ân"), (2, "Nguyễn Thị An"), (1, "Võ Văn Z")]
    ranked = order.sort_people(people, lambda p: p[0], lambda p: p[1])
    assert ranked == [(1, "Võ Văn Z"), (2, "Nguyễn Thị An"), (2, "Trần Văn Ân"), (3, "Lê Văn An")]
