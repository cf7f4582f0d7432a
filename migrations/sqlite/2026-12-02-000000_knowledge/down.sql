DROP TABLE kb_suggestions;
DROP TRIGGER kb_articles_update;
DROP TRIGGER kb_articles_delete;
DROP TRIGGER kb_articles_insert;
DROP TABLE kb_search;
DROP TABLE kb_articles;
