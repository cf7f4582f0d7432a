-- The Content-ID of a part the HTML shows in place (`<img src="cid:…">`),
-- without `<>`: the stored HTML keeps its reference to the stored part.
ALTER TABLE attachments ADD COLUMN content_id TEXT;
-- The same mail with its larger files as download links, sent instead
-- when a relay refuses the mail for its size.
ALTER TABLE outbox ADD COLUMN smaller_content BLOB;
