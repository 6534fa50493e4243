"""Alembic environment of the web application's database (online migrations only)."""

from alembic import context
from sqlalchemy import engine_from_config, pool

from dermalase.web.db import Base

config = context.config


def run() -> None:
    connectable = engine_from_config(config.get_section(config.config_ini_section) or {},
                                     prefix="sqlalchemy.", poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata,
                          render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()


run()
