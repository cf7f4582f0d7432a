-- The Content-ID of a part the HTML shows in place (`<img src="cid:…">`),
-- without `<>`: the stored HTML keeps its reference to the stored part.
ALTER TABLE attachments ADD COLUMN content_id TEXT;
