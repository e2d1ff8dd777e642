"""PostgreSQL: pool, migrations, embedded server and one repository per table."""
