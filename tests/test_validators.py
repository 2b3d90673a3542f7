"""Resident ID numbers (GB 11643-1999) and phone numbers: validation, normalisation and masking."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from teams.validators import (
    id_number_check_char,
    mask_id_number,
    mask_phone,
    normalize_id_number,
    validate_id_number,
    validate_phone,
)
from tests.factories import CadreFactory, DispatchingUnitFactory

FORMAT_MESSAGE = "身份证号应为18位，前17位为数字，最后一位为数字或X。"
BIRTH_MESSAGE = "身份证号中的出生日期无效。"
CHECKSUM_MESSAGE = "身份证号校验位错误，请核对。"
PHONE_MESSAGE = "手机号码应为以1开头的11位数字。"


def with_check_char(first17: str) -> str:
    return first17 + id_number_check_char(first17)


def ending_in_x() -> str:
    """A real-looking number (拉萨城关区, born 1985-06-15) whose check character happens to be X."""
    for serial in range(1000):
        first17 = f"54010219850615{serial:03d}"
        if id_number_check_char(first17) == "X":
            return first17 + "X"
    raise AssertionError("no serial gives X")


def test_it_computes_the_check_character_of_the_standards_example():
    # The worked example of GB 11643-1999: 11010519491231002X.
    assert id_number_check_char("11010519491231002") == "X"
    assert id_number_check_char("44052418800101001") == "4"


@pytest.mark.parametrize(
    "number",
    [
        "11010519491231002X",
        with_check_char("54010319900101123"),
        with_check_char("54062219780215004"),
        with_check_char("54252420000229003"),  # a leap day
        ending_in_x(),
    ],
)
def test_it_accepts_valid_id_numbers(number):
    validate_id_number(number)


def test_it_accepts_a_lower_case_x_and_normalises_it():
    number = ending_in_x()

    validate_id_number(number.lower())

    assert normalize_id_number(f"  {number.lower()} ") == number
    assert normalize_id_number(None) == ""


def message_for(number: str) -> tuple[str, str]:
    with pytest.raises(ValidationError) as caught:
        validate_id_number(number)
    return caught.value.code, caught.value.messages[0]


def test_it_refuses_a_wrong_check_digit():
    good = with_check_char("54010319900101123")
    wrong = good[:17] + ("1" if good[17] == "0" else "0")

    assert message_for(wrong) == ("id_checksum", CHECKSUM_MESSAGE)


@pytest.mark.parametrize(
    "number",
    [
        "54010319900101123",  # 17 characters
        "5401031990010112345",  # 19 characters
        "",
        "54010319900101A234",  # a letter inside
        "54010319900101123Y",  # a letter other than X at the end
        "04010319900101123X",  # no area code starts with 0
        "5401031990 0101123",
    ],
)
def test_it_refuses_a_malformed_id_number(number):
    assert message_for(number) == ("id_format", FORMAT_MESSAGE)


@pytest.mark.parametrize(
    "birth",
    ["19901301", "19900230", "19900100", "19010229", "18991231"],
    ids=["month-13", "february-30", "day-0", "no-leap-day-1901", "before-1900"],
)
def test_it_refuses_an_impossible_birth_date(birth):
    # The check character is right, so only the date can be wrong.
    assert message_for(with_check_char(f"540103{birth}123")) == ("id_birth_date", BIRTH_MESSAGE)


def test_it_refuses_a_birth_date_in_the_future():
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)

    assert message_for(with_check_char(f"540103{tomorrow:%Y%m%d}123")) == ("id_birth_date", BIRTH_MESSAGE)


def test_it_accepts_a_baby_born_today():
    validate_id_number(with_check_char(f"540103{datetime.date.today():%Y%m%d}123"))


def test_it_masks_an_id_number_but_its_first_and_last_four():
    assert mask_id_number("540103199001011234") == "5401**********1234"
    assert mask_id_number(ending_in_x())[-1] == "X"
    assert mask_id_number("12345678") == "********"
    assert mask_id_number("") == ""


def test_it_masks_a_phone_number_but_its_first_three_and_last_four():
    assert mask_phone("13812341234") == "138****1234"
    assert mask_phone("1381234") == "*******"
    assert mask_phone("") == ""


@pytest.mark.parametrize("phone", ["13812341234", "19900001111", ""])
def test_it_accepts_a_mobile_number_or_none(phone):
    validate_phone(phone)


@pytest.mark.parametrize("phone", ["12812341234", "1381234123", "138123412345", "0891-6321234", "1381234123a"])
def test_it_refuses_anything_but_a_mobile_number(phone):
    with pytest.raises(ValidationError) as caught:
        validate_phone(phone)

    assert caught.value.messages == [PHONE_MESSAGE]


@pytest.mark.django_db
def test_it_explains_a_bad_id_number_on_the_cadres_id_field():
    good = with_check_char("54010319900101123")
    cadre = CadreFactory.build(
        home_unit=DispatchingUnitFactory(), id_number=good[:17] + ("1" if good[17] == "0" else "0")
    )
    cadre.full_clean(exclude=["id_number"])  # everything else about this cadre is fine

    with pytest.raises(ValidationError) as caught:
        cadre.full_clean()

    assert caught.value.message_dict == {"id_number": [CHECKSUM_MESSAGE]}


@pytest.mark.django_db
def test_it_explains_a_bad_phone_on_the_cadres_phone_field():
    cadre = CadreFactory(phone="12345678901")

    with pytest.raises(ValidationError) as caught:
        cadre.full_clean()

    assert caught.value.message_dict == {"phone": [PHONE_MESSAGE]}


@pytest.mark.django_db
def test_it_gives_factory_cadres_valid_consistent_id_numbers():
    cadres = [CadreFactory() for _ in range(6)]

    for cadre in cadres:
        cadre.full_clean()
        assert cadre.id_number[6:14] == f"{cadre.birth_date:%Y%m%d}"
        assert int(cadre.id_number[16]) % 2 == (1 if cadre.gender == "M" else 0)
    assert len({cadre.id_number for cadre in cadres}) == 6
    assert len({cadre.phone for cadre in cadres}) == 6


@pytest.mark.django_db
def test_it_stores_a_lower_case_x_as_upper_case_so_nobody_is_entered_twice():
    number = ending_in_x()
    cadre = CadreFactory.build(home_unit=DispatchingUnitFactory(), id_number=number.lower())
    cadre.full_clean()
    cadre.save()

    cadre.refresh_from_db()
    assert cadre.id_number == number
