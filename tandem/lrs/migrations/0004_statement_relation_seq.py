from django.db import migrations, models

# Portable (SQLite and PostgreSQL): one statement, each relation row reads its statement by primary key.
FILL_SEQ = """
UPDATE lrs_statementrelation
SET seq = (SELECT lrs_statement.seq FROM lrs_statement WHERE lrs_statement.id = lrs_statementrelation.statement_id)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("lrs", "0003_statement_actor_index"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="statementrelation", name="lrs_rel_lookup"),
        migrations.AddField(
            model_name="statementrelation",
            name="seq",
            field=models.BigIntegerField(default=0),
            preserve_default=False,
        ),
        # Before the index is built, so the fill does not maintain it row by row.
        migrations.RunSQL(FILL_SEQ, reverse_sql=migrations.RunSQL.noop),
        migrations.AddIndex(
            model_name="statementrelation",
            index=models.Index(
                fields=["kind", "value", "seq", "relation", "statement"], name="lrs_rel_value_seq"
            ),
        ),
    ]
