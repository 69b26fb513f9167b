-- SQLite's migration 25.
-- Each team account's own phone (E.164), where a call it takes over is connected; NULL: the
-- team-wide dispatcher phone of Settings.
ALTER TABLE team_users ADD COLUMN phone TEXT;
