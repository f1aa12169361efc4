-- Production database roles for the Plaju intranet (PostgreSQL 13+); see docs/operations.md, "Audit log".
--
--   plaju_owner  owns the schema: `flask --app plaju db upgrade` runs as this role, nothing else does.
--   plaju_app    the application's login (PLAJU_DATABASE_URL of gunicorn and of the cron jobs):
--                SELECT, INSERT, UPDATE, DELETE on the business tables, but only SELECT and INSERT on
--                audit_event. It owns nothing, so it cannot ALTER, DROP or TRUNCATE audit_event, nor
--                DISABLE or DROP its append-only triggers; it is no superuser, so it cannot set
--                session_replication_role to slip past them either.
--
-- Run as a superuser, connected to the application's database, once at set-up and again after every
-- migration (it is idempotent; tables added later also get their grants through the default privileges):
--   psql -v ON_ERROR_STOP=1 -d plaju -f deploy/postgres-roles.sql
-- Passwords are not set here: `ALTER ROLE plaju_app PASSWORD '...'` (or use peer/certificate auth).

DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'plaju_owner') THEN
    CREATE ROLE plaju_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'plaju_app') THEN
    CREATE ROLE plaju_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
  END IF;
END $$;

-- only the owner creates objects; the app role uses them
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO plaju_app;

GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO plaju_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO plaju_app;
ALTER DEFAULT PRIVILEGES FOR ROLE plaju_owner IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO plaju_app;
ALTER DEFAULT PRIVILEGES FOR ROLE plaju_owner IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO plaju_app;

-- the audit log: read and append, nothing else
REVOKE ALL ON TABLE audit_event FROM PUBLIC;
REVOKE ALL ON TABLE audit_event FROM plaju_app;
GRANT SELECT, INSERT ON TABLE audit_event TO plaju_app;

-- the migration state belongs to the owner's `db upgrade`
REVOKE ALL ON TABLE alembic_version FROM plaju_app;
GRANT SELECT ON TABLE alembic_version TO plaju_app;
