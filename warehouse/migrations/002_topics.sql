-- 002: topic dictionaries (tasks/data/topics/*.txt), replaced wholesale by
-- warehouse.topics.sync_topic_terms on every load; the `attention` view
-- matches them against `terms`.

CREATE TABLE topic_terms (
    topic         VARCHAR NOT NULL,  -- file stem: environment, innovation, ...
    term          VARCHAR NOT NULL,
    dict_version  VARCHAR NOT NULL,  -- the file's "# version:" header
    PRIMARY KEY (topic, term)
);
