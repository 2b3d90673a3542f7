"""Form pieces every app's pages share. Forms only collect and type-check input; the rules live in the
services, whose ValidationErrors the views attach to the forms (`add_service_errors`)."""

from collections.abc import Iterable

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class PageForm(forms.Form):
    """Marks invalid inputs (`aria-invalid`, which Pico colours) and lays fields out in `rows`."""

    rows: tuple[tuple[str, ...], ...] = ()

    def add_error(self, field, error):
        super().add_error(field, error)
        names = [field] if field else list(getattr(error, "error_dict", {}) or ())
        for name in names:
            if name in self.fields:
                self.fields[name].widget.attrs["aria-invalid"] = "true"
                self.fields[name].widget.attrs["aria-describedby"] = f"id_{name}_error"

    def field_rows(self) -> list[list[forms.BoundField]]:
        """Visible fields grouped as `rows` says (each row becomes a grid); unlisted fields get a row each."""
        listed = {name for row in self.rows for name in row}
        rows = [[self[name] for name in row if name in self.fields] for row in self.rows]
        rows += [[self[name]] for name in self.fields if name not in listed]
        return [[field for field in row if not field.is_hidden] for row in rows if row]


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's ValidationError onto the form: dict keys naming a form field go next to it, the rest on top."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            target = name if name in form.fields and name != NON_FIELD_ERRORS else None
            form.add_error(target, errors)
    else:
        form.add_error(None, error.messages)


def narrow_choices(field: forms.ModelChoiceField, rows: Iterable, *, keep: str = "", empty_label: str = "") -> None:
    """Offer only `rows` (plus the value already chosen) while still accepting any row of the field's queryset:
    a region admin's 5,580 villages or 1,812 units would make a page nobody can use."""
    rows = list(rows)
    values = {str(field.prepare_value(row)) for row in rows}
    if keep and keep not in values:
        lookup = field.to_field_name or "pk"
        rows = list(field.queryset.filter(**{lookup: keep})) + rows
    label = empty_label or field.empty_label or "---------"
    field.widget.choices = [("", label)] + [(field.prepare_value(row), field.label_from_instance(row)) for row in rows]
