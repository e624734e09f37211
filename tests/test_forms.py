"""The form styling every app shares (governance/forms.py)."""

import pytest
from django import forms
from django.utils import translation

from governance.forms import PlainSelect, bootstrap_classes
from grid.models import Area

pytestmark = pytest.mark.django_db


class _AreaForm(forms.Form):
    required_area = forms.ModelChoiceField(queryset=Area.objects.all())
    optional_area = forms.ModelChoiceField(queryset=Area.objects.all(), required=False)
    labelled_area = forms.ModelChoiceField(
        queryset=Area.objects.all(), required=False, empty_label="全部区域"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap_classes(self.fields.values())


def _first_option(form, name):
    return next(iter(form.fields[name].choices))


def test_model_selects_offer_a_blank_choice_in_words_not_dashes(demo):
    with translation.override("zh-hans"):
        form = _AreaForm()
        html = str(form)

        assert "---------" not in html
        assert _first_option(form, "required_area") == ("", "请选择…")
        assert _first_option(form, "optional_area") == ("", "无")
        assert _first_option(form, "labelled_area") == ("", "全部区域")
        assert 'class="form-select"' in html

    with translation.override("en"):
        assert _first_option(_AreaForm(), "required_area") == ("", "Choose…")


class _LevelForm(forms.ModelForm):
    # A model field with choices and blank=True: Django heads its select with dashes.
    level = forms.TypedChoiceField(
        choices=[("", "---------"), *Area.Level.choices], coerce=int, required=False
    )

    class Meta:
        model = Area
        fields = ["level"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap_classes(self.fields.values())


def test_plain_choice_selects_offer_a_blank_choice_in_words_not_dashes():
    with translation.override("zh-hans"):
        form = _LevelForm()

        assert "---------" not in str(form)
        assert _first_option(form, "level") == ("", "无")
        assert list(form.fields["level"].choices)[1:] == list(Area.Level.choices)


@pytest.mark.parametrize("value", ["", "a&b", 3, "3", None, "none of them"])
@pytest.mark.parametrize(
    "attrs", [{"class": "form-select", "id": "id_x"}, {"required": True, "hidden": False, "q": '"'}]
)
def test_a_plain_select_writes_what_django_s_templates_write(value, attrs):
    choices = [("", "全部 <区域>"), ("a&b", "A & B"), (3, "三"), ("4", "四\u3000网格")]

    plain = PlainSelect(attrs=attrs, choices=choices).render("area", value)

    assert plain == forms.Select(attrs=attrs, choices=choices).render("area", value)


def test_a_plain_select_of_areas_writes_what_django_s_templates_write(demo):
    field = forms.ModelChoiceField(queryset=Area.objects.order_by("path"), required=False)
    chosen = Area.objects.order_by("path")[3]
    django_select = field.widget.render("area", chosen.pk)
    field.widget = PlainSelect()
    field.widget.choices = field.choices

    assert field.widget.render("area", chosen.pk) == django_select
    assert f'value="{chosen.pk}" selected' in django_select
