-- The API caches who a token speaks for (src/auth/viewers.ts). Every change that alters a viewer
-- (user removed, role, email or workspace changed, table truncated) tells every listening process
-- at commit, with the user's id ("*" for all), whoever makes the change.
CREATE FUNCTION "User_viewer_changed"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('callsync_viewer_changed', CASE WHEN TG_OP = 'TRUNCATE' THEN '*' ELSE OLD."id"::text END);
  RETURN NULL;
END
$$;

CREATE TRIGGER "User_viewer_changed"
AFTER UPDATE OF "role", "email", "workspaceId", "id" OR DELETE ON "User"
FOR EACH ROW EXECUTE FUNCTION "User_viewer_changed"();

CREATE TRIGGER "User_viewer_truncated"
AFTER TRUNCATE ON "User"
FOR EACH STATEMENT EXECUTE FUNCTION "User_viewer_changed"();
