"""resources/hazards_en.toml mirrors resources/hazards.toml row for row, in English."""

import re
import tomllib

import pytest

from lesson_studio.config import RESOURCES_DIR

# CJK ideographs, CJK punctuation (、。「」) and full-width forms (，：（）).
CHINESE = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
OPTIONAL = ("replacement", "for_children", "exact")
FIELDS = {"keywords", "note", *OPTIONAL}


def _load(name: str) -> dict:
    with open(RESOURCES_DIR / name, "rb") as handle:
        return tomllib.load(handle)


ZH_ROWS = {row["id"]: row for row in _load("hazards.toml")["hazard"]}
EN = _load("hazards_en.toml")


def test_same_ids_in_the_same_order():
    assert list(EN) == list(ZH_ROWS)


@pytest.mark.parametrize("hazard_id", list(ZH_ROWS))
def test_entry_has_keywords_and_a_note(hazard_id):
    entry = EN[hazard_id]
    assert set(entry) <= FIELDS, set(entry) - FIELDS
    assert isinstance(entry["keywords"], list) and entry["keywords"]
    assert isinstance(entry["note"], str) and entry["note"].strip()


@pytest.mark.parametrize("hazard_id", list(ZH_ROWS))
def test_optional_fields_exactly_where_the_chinese_row_has_them(hazard_id):
    entry, zh = EN[hazard_id], ZH_ROWS[hazard_id]
    for field in OPTIONAL:
        if field == "exact" and hazard_id in ENGLISH_ONLY_EXACT:
            continue
        assert (field in entry) == bool(zh.get(field)), field
        if field in entry:
            assert entry[field], field


# English words that name the hazard only as a whole material: "lighter" on a materials list is
# the tool, but "heavier or lighter" in a weighing activity is not.
ENGLISH_ONLY_EXACT = {"fire"}


def test_a_lighter_listed_as_a_material_is_a_fire_hazard():
    assert {"lighter", "lighters", "a lighter"} <= set(EN["fire"]["exact"])


@pytest.mark.parametrize("hazard_id", list(ZH_ROWS))
def test_words_are_lower_case_and_unique(hazard_id):
    entry = EN[hazard_id]
    words = [*entry["keywords"], *entry.get("exact", [])]
    for word in words:
        assert isinstance(word, str) and word == word.strip() and word
        assert word == word.lower(), word
        assert "  " not in word, word
    assert len(set(words)) == len(words), [w for w in words if words.count(w) > 1]


@pytest.mark.parametrize("hazard_id", list(ZH_ROWS))
def test_no_chinese_in_any_english_value(hazard_id):
    entry = EN[hazard_id]
    for field, value in entry.items():
        for text in value if isinstance(value, list) else [value]:
            assert not CHINESE.search(text), (field, text)
