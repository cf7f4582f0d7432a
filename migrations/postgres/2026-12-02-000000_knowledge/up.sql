-- The knowledge base: articles drafted from resolved tickets (`#kb`) or
-- imported from Markdown files, published for the acknowledgements to
-- suggest. `search_text` is what the full-text index holds: the terms of
-- the title (twice) and of the body, stemmed and folded by guichet, so
-- that both backends search the same words.
CREATE TABLE kb_articles (
    id BIGSERIAL PRIMARY KEY,
    title TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    lang TEXT NOT NULL,
    -- comma separated
    tags TEXT NOT NULL DEFAULT '',
    -- draft | published
    status TEXT NOT NULL,
    source_ticket_id BIGINT REFERENCES tickets (id),
    -- the file it was imported from: importing it again updates it
    source_file TEXT,
    search_text TEXT NOT NULL,
    search TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED,
    suggested INTEGER NOT NULL DEFAULT 0,
    useful INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX kb_articles_source_file ON kb_articles (source_file);
CREATE INDEX kb_articles_source_ticket ON kb_articles (source_ticket_id);
CREATE INDEX kb_articles_search ON kb_articles USING GIN (search);

-- The articles an acknowledgement suggested: a "solved" reply credits them.
CREATE TABLE kb_suggestions (
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    kb_article_id BIGINT NOT NULL REFERENCES kb_articles (id),
    score DOUBLE PRECISION NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (ticket_id, kb_article_id)
);
