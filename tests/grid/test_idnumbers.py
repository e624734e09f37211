"""Resident ID numbers (GB 11643), the other ID types, masking and the keyed search digest."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from grid.idnumbers import (
    IdType,
    ResidentId,
    check_digit,
    id_number_digest,
    make_resident_id,
    mask_id_number,
    mask_phone,
    validate_id,
    validate_resident_id,
)

TODAY = date(2024, 6, 1)
KEY = b"test-key-one"


def with_check_digit(first17: str) -> str:
    """A number whose check digit is right, whatever else is wrong with it."""
    return first17 + check_digit(first17)


def error_of(value: str) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        validate_resident_id(value, today=TODAY)
    return caught.value


# --- valid numbers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "birth", "sequence"),
    [
        ("440112", date(1990, 5, 17), 123),
        ("110105", date(1949, 12, 31), 2),
        ("650102", date(2024, 6, 1), 999),
        ("810000", date(1890, 1, 1), 0),
    ],
)
def test_a_number_built_by_make_resident_id_is_valid(region, birth, sequence):
    number = make_resident_id(region, birth, sequence)

    result = validate_resident_id(number, today=TODAY)

    assert result == ResidentId(
        number=number,
        region_code=region,
        birth_date=birth,
        sex="1" if sequence % 2 else "2",
        check_digit=number[-1],
    )


def test_the_standards_example_number_is_valid_and_says_who_it_belongs_to():
    result = validate_resident_id("11010519491231002X", today=TODAY)

    assert result.number == "11010519491231002X"
    assert result.region_code == "110105"
    assert result.birth_date == date(1949, 12, 31)
    assert result.sex == "2"
    assert result.check_digit == "X"


@pytest.mark.parametrize(
    ("first17", "expected"),
    [
        ("11010519491231002", "X"),  # GB 11643-1999 example, Beijing, 1949
        ("44052418800101001", "4"),  # GB 11643-1999 example, Guangdong, 1880
        ("44011219900517123", "3"),
    ],
)
def test_check_digit_matches_the_published_examples(first17, expected):
    assert check_digit(first17) == expected


def test_lower_case_x_is_accepted_and_normalised_to_upper_case():
    assert validate_resident_id(" 11010519491231002x\n", today=TODAY).number == (
        "11010519491231002X"
    )


def test_full_width_digits_typed_by_a_chinese_input_method_are_accepted():
    full_width = "１１０１０５１９４９１２３１００２ｘ"

    assert validate_resident_id(full_width, today=TODAY).number == "11010519491231002X"


@pytest.mark.parametrize(("sequence", "sex"), [(1, "1"), (37, "1"), (999, "1"), (0, "2"), (2, "2")])
def test_sex_comes_from_the_parity_of_the_seventeenth_digit(sequence, sex):
    number = make_resident_id("320102", date(1985, 3, 9), sequence)

    assert validate_resident_id(number, today=TODAY).sex == sex


def test_birth_date_is_read_from_positions_seven_to_fourteen():
    number = make_resident_id("370102", date(1972, 2, 29), 55)

    assert validate_resident_id(number, today=TODAY).birth_date == date(1972, 2, 29)


def test_a_leap_day_in_a_leap_year_is_a_valid_birth_date():
    number = with_check_digit("110105" + "20000229" + "011")

    assert validate_resident_id(number, today=TODAY).birth_date == date(2000, 2, 29)


def test_someone_born_today_is_valid():
    number = make_resident_id("110105", TODAY, 11)

    assert validate_resident_id(number, today=TODAY).birth_date == TODAY


# --- refused numbers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "length"),
        ("11010519491231002", "length"),
        ("11010519491231002X1", "length"),
        ("110105491231002", "length"),  # first-generation 15-digit number
        ("1101051949123100XX", "characters"),
        ("11010519491231002A", "characters"),
        ("1101051949-231002X", "characters"),
        ("1１0105194912310 2X", "characters"),
        (make_resident_id("001234", date(1990, 1, 1), 1), "region"),
        (make_resident_id("101234", date(1990, 1, 1), 1), "region"),
        (make_resident_id("991234", date(1990, 1, 1), 1), "region"),
        (with_check_digit("110105" + "19901301" + "001"), "birth_date"),
        (with_check_digit("110105" + "19900132" + "001"), "birth_date"),
        (with_check_digit("110105" + "19900000" + "001"), "birth_date"),
        ("110105194912310021", "check_digit"),
    ],
)
def test_each_kind_of_error_is_refused_with_its_own_code(value, code):
    assert error_of(value).code == code


def test_wrong_check_digit_is_refused_with_its_own_code():
    error = error_of("11010519491231002" + "1")

    assert error.code == "check_digit"


def test_a_length_error_says_how_long_the_number_was():
    with translation.override("en"):
        message = error_of("12345").messages[0]

    assert message == "An ID number has 18 characters; this one has 5."


def test_a_region_error_names_the_prefix_it_refused():
    with translation.override("en"):
        message = error_of(make_resident_id("991234", date(1990, 1, 1), 1)).messages[0]

    assert "99" in message


def test_february_29th_1900_is_refused_because_1900_was_not_a_leap_year():
    error = error_of(with_check_digit("110105" + "19000229" + "001"))

    assert error.code == "birth_date"
    assert error.params == {"digits": "19000229"}


def test_a_birth_date_in_the_future_is_refused():
    number = make_resident_id("110105", date(2024, 6, 2), 1)

    assert error_of(number).code == "birth_date"


def test_a_birth_date_in_the_future_is_refused_against_the_real_clock_by_default():
    number = make_resident_id("110105", date(2999, 1, 1), 1)

    with pytest.raises(ValidationError) as caught:
        validate_resident_id(number)

    assert caught.value.code == "birth_date"


def test_a_birth_date_before_1890_is_refused_even_with_a_correct_check_digit():
    # The standard's own second example: a man born in 1880.
    error = error_of("440524188001010014")

    assert error.code == "birth_date"


@pytest.mark.parametrize("first17", ["1234567890123456", "123456789012345678", "1234567890123456X"])
def test_check_digit_needs_exactly_17_digits(first17):
    with pytest.raises(ValueError, match="17"):
        check_digit(first17)


@pytest.mark.parametrize(
    ("region", "sequence"),
    [("11010", 1), ("1101051", 1), ("11010A", 1), ("110105", -1), ("110105", 1000)],
)
def test_make_resident_id_refuses_a_bad_region_or_sequence(region, sequence):
    with pytest.raises(ValueError, match="region|sequence"):
        make_resident_id(region, date(1990, 1, 1), sequence)


def test_the_repr_of_a_resident_id_does_not_show_the_whole_number():
    result = validate_resident_id("11010519491231002X", today=TODAY)

    assert "11010519491231002X" not in repr(result)
    assert "110105********002X" in repr(result)


# --- other ID types --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("id_type", "value", "normalised"),
    [
        (IdType.RESIDENT, "11010519491231002x", "11010519491231002X"),
        (IdType.PASSPORT, "E12345678", "E12345678"),
        (IdType.PASSPORT, " g1234567 ", "G1234567"),
        (IdType.PASSPORT, "AB123", "AB123"),
        (IdType.PASSPORT, "A" * 20, "A" * 20),
        (IdType.HK_MACAO, "H12345678", "H12345678"),
        (IdType.HK_MACAO, "m1234567890", "M1234567890"),
        (IdType.TAIWAN, "12345678", "12345678"),
        (IdType.TAIWAN, "1234567890", "1234567890"),
        (IdType.FOREIGN_PERMANENT, "usa110086010101", "USA110086010101"),
        (IdType.FOREIGN_PERMANENT, "93184019900101001X", "93184019900101001X"),
        (IdType.OTHER, "军官证 第123号", "军官证 第123号"),
        (IdType.OTHER, "x", "X"),
        (IdType.OTHER, "9" * 30, "9" * 30),
        ("passport", "E12345678", "E12345678"),
    ],
)
def test_every_id_type_accepts_a_well_formed_number(id_type, value, normalised):
    assert validate_id(id_type, value, today=TODAY) == normalised


@pytest.mark.parametrize(
    ("id_type", "value", "code"),
    [
        (IdType.RESIDENT, "110105194912310021", "check_digit"),
        (IdType.PASSPORT, "E123", "format"),
        (IdType.PASSPORT, "E" * 21, "format"),
        (IdType.PASSPORT, "E1234-5678", "format"),
        (IdType.HK_MACAO, "H1234567", "format"),
        (IdType.HK_MACAO, "H123456789", "format"),
        (IdType.HK_MACAO, "C12345678", "format"),
        (IdType.TAIWAN, "123456789", "format"),
        (IdType.TAIWAN, "T12345678", "format"),
        (IdType.FOREIGN_PERMANENT, "US1101860101011", "format"),
        (IdType.FOREIGN_PERMANENT, "USA11008601010", "format"),
        (IdType.FOREIGN_PERMANENT, "83184019900101001X", "format"),
        (IdType.OTHER, "   ", "length"),
        (IdType.OTHER, "9" * 31, "length"),
    ],
)
def test_every_id_type_refuses_a_malformed_number(id_type, value, code):
    with pytest.raises(ValidationError) as caught:
        validate_id(id_type, value, today=TODAY)

    assert caught.value.code == code


def test_an_unknown_id_type_is_a_programming_error():
    with pytest.raises(ValueError, match="driving_licence"):
        validate_id("driving_licence", "123456")


def test_id_types_have_english_labels_for_translation():
    with translation.override("en"):
        assert str(IdType.RESIDENT.label) == "Resident ID card"
    assert set(IdType.values) == {
        "resident",
        "passport",
        "hk_macao",
        "taiwan",
        "foreign_permanent",
        "other",
    }


# --- masking ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("440112199005171234", "440112********1234"),
        ("11010519491231002x", "110105********002X"),
        (" 11010519491231002X ", "110105********002X"),
        ("E12345678", "E1*****78"),
        ("H1234567890", "H1*******90"),
        ("12345678", "12****78"),
        ("AB12", "A**2"),
        ("ABC", "***"),
        ("A", "*"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_id_numbers_are_masked_for_display(value, masked):
    assert mask_id_number(value) == masked


@pytest.mark.parametrize("length", [n for n in range(1, 31) if n != 18])
def test_masking_never_reveals_more_than_half_of_a_short_or_long_id(length):
    masked = mask_id_number("A" * length)

    assert len(masked) == length
    assert masked.count("*") >= length / 2


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("13812345678", "138****5678"),
        (" 138 1234 5678 ", "138****5678"),
        ("138-1234-5678", "138****5678"),
        ("+86 13812345678", "138****5678"),
        ("8613812345678", "138****5678"),
        ("020-88881234", "***-****1234"),
        ("(020) 8888 1234", "(***) **** 1234"),
        ("88881234", "****1234"),
        ("23812345678", "*******5678"),
        ("12345", "***45"),
        ("110", "**0"),
        ("", ""),
        ("  ", ""),
    ],
)
def test_phone_numbers_are_masked_for_display(value, masked):
    assert mask_phone(value) == masked


# --- keyed digest ----------------------------------------------------------------------------


def test_the_digest_is_stable_for_the_same_key_and_number():
    first = id_number_digest("11010519491231002X", key=KEY)

    assert id_number_digest("11010519491231002X", key=KEY) == first
    assert len(first) == 64
    assert int(first, 16) >= 0


def test_the_digest_differs_for_another_key():
    assert id_number_digest("11010519491231002X", key=KEY) != id_number_digest(
        "11010519491231002X", key=b"test-key-two"
    )


def test_the_digest_differs_for_another_number():
    other = make_resident_id("110105", date(1949, 12, 31), 4)

    assert id_number_digest("11010519491231002X", key=KEY) != id_number_digest(other, key=KEY)


@pytest.mark.parametrize(
    "variant",
    ["11010519491231002x", " 11010519491231002X ", "１１０１０５１９４９１２３１００２Ｘ"],
)
def test_the_digest_is_taken_of_the_normalised_number(variant):
    assert id_number_digest(variant, key=KEY) == id_number_digest("11010519491231002X", key=KEY)


def test_the_digest_refuses_an_empty_key():
    with pytest.raises(ValueError, match="key"):
        id_number_digest("11010519491231002X", key=b"")
