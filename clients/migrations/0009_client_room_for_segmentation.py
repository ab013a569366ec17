"""Room for segmentation to rewrite clients in place.

Segmentation rewrites the computed columns of every client whose result
changed. With room on the row's own page and no indexed column changed,
PostgreSQL makes that a heap-only-tuple update: nothing is added to the
table's ten indexes (three of them the search's trigram GIN indexes). So:

- half of every page of the clients table stays free (``fillfactor = 50``);
- ``computed_segment`` loses its index, which no read used (the portal filters
  on the segment in force, the override OR the computed one, and PostgreSQL
  scans the table for that; only the admin's filter on the computed segment
  alone could use it).

Measured on the scale data set (``docs/benchmarks.md``): the segmentation of
all 100,000 clients, every one changing, ~11.4 s → ~4.5 s. The fill factor
applies to pages written from now on (a new database, ``seed_scale``); an
existing database's pages get it at their next rewrite (``VACUUM FULL
clients_client`` in a maintenance window), see ``docs/clients.md``.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("clients", "0008_verbose_names")]

    operations = [
        migrations.RemoveIndex(model_name="client", name="clients_client_segment_idx"),
        migrations.RunSQL(
            "ALTER TABLE clients_client SET (fillfactor = 50)",
            reverse_sql="ALTER TABLE clients_client RESET (fillfactor)",
        ),
    ]
