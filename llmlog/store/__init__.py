"""The PostgreSQL store: connection, schema, migrations, embedded server, batch writes."""
