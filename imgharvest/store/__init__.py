"""Persistence: the job database (engine, models, migrations, writes), the queue, and archives."""
