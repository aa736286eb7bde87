import pytest
from fakes import ScriptedBackend

from lesson_studio.authoring import generate, refine
from lesson_studio.config import PROMPTS_DIR
from lesson_studio.prompts import render, variables


def test_missing_variable_fails_loudly():
    with pytest.raises(KeyError, match="missing"):
        render("lesson_system")


def test_unexpected_variable_fails_loudly():
    with pytest.raises(KeyError, match="unexpected"):
        render("lesson_system", age_band="中班", extra="x")


def test_every_prompt_file_is_rendered_with_all_its_variables(monkeypatch, hat_request):
    rendered: set[str] = set()
    real_render = generate.render

    def recording_render(name, **values):
        assert set(values) == variables(name)
        rendered.add(name)
        return real_render(name, **values)

    monkeypatch.setattr(generate, "render", recording_render)
    monkeypatch.setattr(refine, "render", recording_render)
    plan = generate.generate_plan(hat_request, backend=ScriptedBackend()).plan
    generate.model_infer(ScriptedBackend())("一句话", "domain", ("科学", "艺术"))
    refine.chat_edit(plan, "开头更有趣", request=hat_request, backend=ScriptedBackend())
    assert rendered == {path.stem for path in PROMPTS_DIR.glob("*.md")}
