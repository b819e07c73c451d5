-- 0008: a station roster's 联系人 / 联系电话 (gridgov.model stations: contact_name,
-- contact_phone), personal columns kept for staff and never shown to the public.
ALTER TABLE ws_stations ADD COLUMN contact_name text, ADD COLUMN contact_phone text;
