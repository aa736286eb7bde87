"""The progress a teacher sees: parts done, time so far and left, the words being written."""

import pytest

from lesson_studio.progress import SectionTimes, figures, streaming_fields


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"title": "小鸭过河", "teacher": "小朋友们，小鸭', [("标题", "小鸭过河"), ("师", "小朋友们，小鸭")]),
        ('{"key_questions": ["你看到了什么？", "怎么', [("关键提问", "你看到了什么？ / 怎么")]),
        ('{"teacher": "他说：\\"我来\\"', [("师", '他说："我来"')]),
        ('{"teacher": "半个转义\\', [("师", "半个转义")]),
        ('{"objectives": [{"dimension": "认知", "text": "知道桥', [("", "认知"), ("目标", "知道桥")]),
        ("", []),
        ('{"title": "', []),
    ],
)
def test_the_words_being_written_are_read_from_half_written_json(text, expected):
    assert streaming_fields(text) == expected


def test_the_time_left_follows_this_jobs_own_sections():
    progress = figures(2, 7, started_at=100.0, typical_section_s=None, now=140.0)
    assert (progress.sections_done, progress.elapsed_s, progress.remaining_s) == (2, 40.0, 100.0)


def test_before_the_first_section_the_estimate_uses_earlier_jobs_on_this_model():
    times = SectionTimes()
    for seconds in (18.0, 22.0, 20.0):
        times.add("local", seconds)
    progress = figures(0, 7, started_at=100.0, typical_section_s=times.typical("local"), now=105.0)
    assert progress.remaining_s == 7 * 20.0 - 5.0


def test_without_any_measurement_no_time_left_is_guessed():
    assert figures(0, 7, started_at=0.0, typical_section_s=None, now=3.0).remaining_s is None
