from __future__ import annotations

import pytest

from storage.db import Database
from storage.people import Registration, person_by_phone, register_by_phone
from storage.roster import apply_import, export_rows, preview_import
from storage.roster_file import RosterFileError, read_roster
from storage.roster_writer import roster_bytes
from tests.helpers import BASIC_ROWS, NOW, csv_file


async def dump(db: Database) -> list[tuple[object, ...]]:
    rows = []
    for table in ("units", "people", "invites", "registrations"):
        rows += [
            (table, *tuple(r))
            for r in await db.fetchall(f"SELECT * FROM {table} ORDER BY 1")  # noqa: S608 (constant names)
        ]
    return rows


async def test_first_import_adds_everything(db: Database) -> None:
    changes = await apply_import(db, read_roster(csv_file(BASIC_ROWS)), NOW)
    assert (len(changes.units_added), len(changes.people_added)) == (4, 7)
    school = await db.fetchone(
        "SELECT u.name, p.code FROM units u JOIN units p ON p.id = u.parent_id WHERE u.code = ?",
        ("THCS-TP",),
    )
    assert school is not None
    assert tuple(school) == ("Trường THCS Tân Phú", "PGD-DX")


async def test_reimport_unchanged_changes_nothing(db: Database) -> None:
    table = read_roster(csv_file(BASIC_ROWS))
    await apply_import(db, table, NOW)
    before = await dump(db)
    changes = await apply_import(db, table, NOW)
    assert not changes.changed
    assert await dump(db) == before


async def test_reimport_updates_by_phone_and_keeps_registration(db: Database) -> None:
    await apply_import(db, read_roster(csv_file(BASIC_ROWS)), NOW)
    result = await register_by_phone(db, "0912000002", 5001, NOW)
    assert result.outcome is Registration.REGISTERED
    rows = [list(row) for row in BASIC_ROWS]
    rows[3][0:3] = ["TH-TX", "Trường TH Tân Xuân", "PGD-DX"]  # Ân moves school
    rows[3][3] = "Trần Văn Ân (TPCM)"
    del rows[4]  # Bình left
    changes = await apply_import(db, read_roster(csv_file(rows)), NOW)
    assert [p.full_name for p in changes.people_updated] == ["Trần Văn Ân (TPCM)"]
    assert changes.people_deactivated == ("Đỗ Thị Bình",)
    assert changes.registered_kept == 1
    moved = await person_by_phone(db, "0912000002")
    assert moved is not None and moved.telegram_id == 5001 and moved.unit_code == "TH-TX"
    gone = await person_by_phone(db, "0912000003")
    assert gone is not None and not gone.active  # deactivated, not deleted
    # Coming back in a later file reactivates the same row.
    changes = await apply_import(db, read_roster(csv_file(BASIC_ROWS)), NOW)
    back = await person_by_phone(db, "0912000003")
    assert back is not None and back.active and back.id == gone.id


async def test_unknown_parent_is_refused_and_nothing_changes(db: Database) -> None:
    await apply_import(db, read_roster(csv_file(BASIC_ROWS)), NOW)
    before = await dump(db)
    rows = [*BASIC_ROWS, ("TH-X", "Trường X", "PGD-KHONG-CO", "Người X", "gv", "0919000001")]
    with pytest.raises(RosterFileError) as caught:
        await apply_import(db, read_roster(csv_file(rows)), NOW)
    assert [i.code for i in caught.value.issues] == ["unknown_parent"]
    assert caught.value.issues[0].line == 9
    assert await dump(db) == before


async def test_parent_known_from_the_database_is_accepted(db: Database) -> None:
    await apply_import(db, read_roster(csv_file(BASIC_ROWS)), NOW)
    rows = [*BASIC_ROWS, ("TH-Y", "Trường Y", "PGD-DX", "Người Y", "gv", "0919000002")]
    changes = await apply_import(db, read_roster(csv_file(rows)), NOW)
    assert changes.units_added == ("TH-Y",)


async def test_cycle_through_the_database_is_refused(db: Database) -> None:
    await apply_import(db, read_roster(csv_file(BASIC_ROWS)), NOW)
    before = await dump(db)
    # The file makes the Sở a child of a school that (in the database) sits below the Sở.
    rows = [("SGD", "Sở GD&ĐT Bình Phước", "THCS-TP", "Lê Văn Sở", "Văn phòng", "0911000001")]
    with pytest.raises(RosterFileError) as caught:
        await apply_import(db, read_roster(csv_file(rows)), NOW)
    assert caught.value.issues[0].code == "unit_cycle"
    assert await dump(db) == before


async def test_preview_writes_nothing(db: Database) -> None:
    changes = await preview_import(db, read_roster(csv_file(BASIC_ROWS)))
    assert len(changes.people_added) == 7
    assert await dump(db) == []


async def test_export_round_trips(db: Database) -> None:
    await apply_import(db, read_roster(csv_file(BASIC_ROWS)), NOW)
    for xlsx in (False, True):
        data = roster_bytes(await export_rows(db), xlsx=xlsx)
        table = read_roster(data, "out.xlsx" if xlsx else "out.csv")
        changes = await apply_import(db, table, NOW)
        assert not changes.changed, xlsx


async def test_units_left_out_are_deactivated_but_ancestors_kept(db: Database) -> None:
    await apply_import(db, read_roster(csv_file(BASIC_ROWS)), NOW)
    # A file that only lists one school (its parents come from the database).
    rows = [r for r in BASIC_ROWS if r[0] == "THCS-TP"]
    changes = await apply_import(db, read_roster(csv_file(rows)), NOW)
    assert changes.units_deactivated == ("TH-TX",)
