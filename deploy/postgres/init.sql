-- Runs once, when the postgres container initialises an empty data volume
-- (docker-entrypoint-initdb.d). One database per service; the services never share one.
-- POSTGRES_USER (ww) is the owner; each service migrates its own database.
CREATE DATABASE ww_intake OWNER ww;
CREATE DATABASE ww_triage OWNER ww;
CREATE DATABASE ww_coaching OWNER ww;
CREATE DATABASE ww_starters OWNER ww;
