-- A saved file's copy is listed in document_sources by its file:// URL, percent-encoded
-- (file:///data/%E4%B8%B9%E4%B8%9C%E5%B8%82_2014.txt); `path` is the same file as its owner
-- reads it (/data/丹东市_2014.txt), NULL for a web page. The loader fills it for new rows
-- (warehouse/load.py `local_path`); the rows loaded before get it here.
ALTER TABLE document_sources ADD COLUMN path VARCHAR;
UPDATE document_sources SET path = url_decode(substr(url, length('file://') + 1)) WHERE url LIKE 'file://%';
