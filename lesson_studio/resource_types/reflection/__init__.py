"""活动反思 (activity reflection) as a resource type (DOMAIN.md §2.1 活动反思, issue 13): from one of
the teacher's finished plans and her notes on how it went, a reflection (目标达成, 幼儿表现, 时间与环节,
调整建议, 下次再做) and a revised plan, saved as the plan's next version.

The revised plan is saved directly as a new version of the plan's draft (note "活动反思修订 /
revised after reflection") rather than offered as a refinement proposal: the refinement kinds are
the lesson plan's own (section | fix | chat | adapt), and a version is never lost — the teacher sees
the change as a diff on the reflection page and restores the earlier version in 我的教案 if she
prefers it. Only the plan's author may: the store refuses anyone else (leads included) before
anything of the job is saved, and a plan saved again since the teacher chose it is not overwritten.

Its own files: schema, scaffold, checks (rules and checks), writer, export, and
prompts/reflection*.md; it is registered by one line in resource_types.REGISTERED.
"""

from __future__ import annotations

from lesson_studio.authoring.content_checks import CheckReport
from lesson_studio.errors import InvalidInput, StaleVersion
from lesson_studio.models import User
from lesson_studio.pipeline import ResourceType
from lesson_studio.resource_types.reflection.checks import apply_reflection_rules, check_reflection
from lesson_studio.resource_types.reflection.export import reflection_docx
from lesson_studio.resource_types.reflection.parse import parse_reflection_sentence
from lesson_studio.resource_types.reflection.placeholders import REFLECTION_TEMPLATES
from lesson_studio.resource_types.reflection.refine import reflection_parts, rewrite_reflection_part
from lesson_studio.resource_types.reflection.scaffold import build_reflection_scaffold
from lesson_studio.resource_types.reflection.schema import FIELD_LABELS, Reflection, ReflectionRequest
from lesson_studio.resource_types.reflection.writer import ReflectionWriter
from lesson_studio.store import Store

REVISION_NOTE = "活动反思修订 / revised after reflection"


def _validate(writer: ReflectionWriter, reflection: Reflection) -> tuple[Reflection, CheckReport]:
    return writer.validate(reflection)


def save_revised_plan(store: Store, user: User, reflection: Reflection, request: ReflectionRequest) -> Reflection:
    """The revised plan saved as the next version of the plan's draft, before the reflection is
    saved: the author only (the store checks), and only on the version the teacher reflected on."""
    version, current = store.get_version(user, request.plan_version_id)  # may read it, and it is a plan
    store.draft_owner(user, version.draft_id, for_edit=True)  # may change it: its author only
    if current != request.plan:
        raise InvalidInput(
            "所选教案的内容与保存的版本不一致，请重新选择教案 / The chosen plan does not match its saved version; choose it again"
        )
    try:
        saved = store.save_version(
            user,
            reflection.revised_plan,
            draft_id=version.draft_id,
            base_version_id=version.id,
            note=REVISION_NOTE,
        )
    except StaleVersion as error:
        raise InvalidInput(
            "写反思期间这份教案又保存了新版本：修订没有保存，反思也没有保存。请在最新版本上重新提交记录。"
            " / The plan was saved again meanwhile; nothing was saved — submit your notes on its newest version."
        ) from error
    return reflection.model_copy(update={"revised_version_id": saved.id, "revised_version_number": saved.number})


REFLECTION = ResourceType(
    kind="reflection",
    label="活动反思 / activity reflection",
    request_model=ReflectionRequest,
    document_model=Reflection,
    prompts=("reflection_system", "reflection", "reflection_prose", "reflection_step"),
    build_scaffold=build_reflection_scaffold,
    writer=ReflectionWriter,
    apply_rules=apply_reflection_rules,
    validate=_validate,
    check=check_reflection,
    export_docx=reflection_docx,
    field_labels=FIELD_LABELS,
    parse_sentence=parse_reflection_sentence,  # 一句话填表 (parse.py)
    parts=reflection_parts,  # 改写一部分 (refine.py)
    rewrite_part=rewrite_reflection_part,
    grounded=False,  # it rests on the teacher's notes, not on library passages
    before_save=save_revised_plan,
    template_context=REFLECTION_TEMPLATES,
)
