DROP TABLE kb_suggestions;
DROP TABLE kb_articles;
