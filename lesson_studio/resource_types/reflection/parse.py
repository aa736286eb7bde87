"""活动反思's notes from one sentence (issue 13): "孩子们都想给小熊戴帽子，第二个环节超时了5分钟，没想到
乐乐用夹子固定了帽子，下次多准备些夹子" puts each clause in the box it belongs to: 时间 (超时, 提前, 分钟),
意外 (没想到, 竟然), 下次想改 (下次, 应该); what is left is what the children did and said. The plan is
chosen on the page (the teacher's own plans), never from the sentence."""

from __future__ import annotations

import datetime
import re

from lesson_studio.authoring.sentence import ParsedForm, SentenceReader, join_phrases

# What a teacher calls this document: a phrase that only asks for one fills nothing.
DOCUMENT_WORDS = ("活动反思", "反思")

# ReflectionRequest's limits per box.
MAX_CHARS = {"children": 600, "timing": 300, "surprises": 300, "changes": 300}
# A clause's box, by its words; the first box whose words it has wins (a clause is in one box).
_CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("changes", re.compile(r"下次|以后|下回|再做|应该|想改|改成|改为|调整|需要多|可以多|要多|改进")),
    ("surprises", re.compile(r"没想到|想不到|意外|竟然|居然|惊讶|惊喜|出乎|原来")),
    ("timing", re.compile(r"超时|提前|拖堂|来不及|时间不够|时间太|用了\s*\d+\s*分钟|\d+\s*分钟|环节.*[快慢长短]")),
)


def parse_reflection_sentence(text: str, today: datetime.date) -> ParsedForm:
    reader = SentenceReader(text, document_words=DOCUMENT_WORDS)
    boxes: dict[str, list[str]] = {name: [] for name in MAX_CHARS}
    for clause in reader.rest(as_typed=True):
        box = next((name for name, cue in _CUES if cue.search(clause)), "children")
        boxes[box].append(clause)
    for name, clauses in boxes.items():
        if clauses:
            reader.set(name, join_phrases(clauses)[: MAX_CHARS[name]], " / ".join(clauses))
    if len(reader.parsed.values.get("children", "")) < 4:  # the form's shortest: too little to keep
        reader.parsed.values.pop("children", None)
        reader.parsed.found.pop("children", None)
    return reader.parsed
