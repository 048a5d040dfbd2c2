"""联合奖惩 compares 统一社会信用代码 and 身份证号 normalised (issue 19): spaces dropped, full-width
folded, x → X, a 15-digit old ID number taken as its 18-digit form — in the object lists, the
classified query, 单体验证, 批量验证 and the counter plug-in's check."""

from __future__ import annotations

import pytest

from infrastructure.validators import id_number_check_char, normalize_code, upgrade_id_number, valid_id_number
from models import Person, db
from services.sanctions import lists, tasks, verify
from tests.factories.sanctions import Setup


@pytest.fixture()
def sx(org, make_department, make_user, session):
    return Setup(org, make_department, make_user)


def _full_width(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def test_normalize_code():
    first17 = "11010519491231002"
    number = first17 + id_number_check_char(first17)
    assert number.endswith("X")
    assert normalize_code(f" {number[:6]} {number[6:-1]}x ") == number
    assert normalize_code(_full_width(number.lower())) == number
    assert normalize_code("\u3000" + number) == number
    old = "110105491231002"  # 15 digits: century 19 inserted, check character added
    assert upgrade_id_number(old) == number and normalize_code(old) == number and valid_id_number(number)
    assert normalize_code("91510108ma6cx9999") == "91510108MA6CX9999"  # not 15 digits: left as it is
    assert normalize_code(None) == ""


def test_lists_and_checks_compare_normalised_codes(sx, org):
    lst = sx.listed()
    entity, person = lst.objects[0], lst.objects[1]
    old15 = person.code[:6] + person.code[8:17]
    variants = [old15, " " + _full_width(person.code.lower()) + " "]
    for variant in variants:
        assert [o.id for o in db.session.execute(verify.query(org.clerk_a, code=variant)).scalars()] == [person.id]
        assert len(verify.single(org.clerk_a, variant)) == 2
        assert len(tasks.check(variant)) == 2
    spaced = " ".join([entity.code[:9].lower(), _full_width(entity.code[9:])])
    assert len(tasks.check(spaced)) == 2 and len(verify.single(org.clerk_a, spaced)) == 2
    found = verify.batch([old15, spaced, "91510108MA6CX99999"])
    assert set(found) == {person.code, entity.code}


def test_an_old_id_number_in_a_list_is_stored_upgraded(sx, org):
    entry = sx.published()
    lst = lists.create_list(org.clerk_a, "名单")
    [obj] = lists.add_objects(org.clerk_a, lst, [sx.obj_row(entry, "110105491231002", subject="person", name="李四")])
    assert obj.code == upgrade_id_number("110105491231002") and len(obj.code) == 18
    assert db.session.query(Person).filter_by(id_number=obj.code).count() == 1
