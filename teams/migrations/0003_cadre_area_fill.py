from django.db import migrations, models
import django.db.models.deletion


def fill_cadre_area(apps, schema_editor):
    """The managing county of an existing cadre: the county of their latest team, else their unit's county."""
    Cadre = apps.get_model("teams", "Cadre")
    Assignment = apps.get_model("teams", "Assignment")
    Area = apps.get_model("villages", "Area")
    latest = {}
    for cadre_id, village_id in Assignment.objects.order_by("start_date", "pk").values_list("cadre_id", "team__village_id"):
        latest[cadre_id] = village_id[:6]
    fallback = Area.objects.filter(level="county").order_by("code").values_list("code", flat=True).first()
    for cadre in Cadre.objects.filter(area__isnull=True).select_related("home_unit").iterator():
        unit_area = cadre.home_unit.area_id or ""
        county = latest.get(cadre.pk) or (unit_area[:6] if len(unit_area) >= 6 else None)
        if county is None:
            county = (
                Area.objects.filter(level="county", code__startswith=unit_area).order_by("code")
                .values_list("code", flat=True).first()
                or fallback
            )
        Cadre.objects.filter(pk=cadre.pk).update(area_id=county)


class Migration(migrations.Migration):
    dependencies = [("teams", "0002_cadre_area_and_history")]

    operations = [
        migrations.RunPython(fill_cadre_area, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="cadre",
            name="area",
            field=models.ForeignKey(
                help_text="管理该干部档案的县级组织部门；随干部最近一次任职的工作队所在县。",
                limit_choices_to={"level": "county"},
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="villages.area",
                verbose_name="管理县（区）",
            ),
        ),
    ]
