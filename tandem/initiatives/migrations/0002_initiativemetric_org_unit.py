import django.db.models.deletion
from django.db import migrations, models


def measured_where_shown(apps, schema_editor):
    """Existing links keep the line their page showed: the sponsor unit's values when it has any."""
    link_model = apps.get_model("initiatives", "InitiativeMetric")
    observation_model = apps.get_model("metrics", "MetricObservation")
    for link in link_model.objects.select_related("initiative", "metric").filter(
        initiative__sponsor_org_unit__isnull=False, metric__grain__in=["org_unit", "team"]
    ):
        sponsor_id = link.initiative.sponsor_org_unit_id
        if observation_model.objects.filter(
            metric_id=link.metric_id, org_unit_id=sponsor_id, person_id__isnull=True
        ).exists():
            link.org_unit_id = sponsor_id
            link.save(update_fields=["org_unit"])


class Migration(migrations.Migration):
    dependencies = [
        ("initiatives", "0001_initial"),
        ("metrics", "0003_metricseries"),
        ("org", "0002_person_email_lower"),
    ]

    operations = [
        migrations.AddField(
            model_name="initiativemetric",
            name="org_unit",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="org.orgunit",
            ),
        ),
        migrations.RunPython(measured_where_shown, migrations.RunPython.noop),
    ]
