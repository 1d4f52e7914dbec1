-- attention: how much of each report a topic takes up.
-- One row per segmented document x topic (topics from topic_terms); hits is
-- the sum of terms.count over the topic's terms (0 when none occur), tokens
-- is segmentations.tokens of the same document, share = hits / tokens.
-- terms and segmentations are written together per document by the loader,
-- so hits and tokens always come from the same segmentation.
CREATE OR REPLACE VIEW attention AS
WITH topics AS (
    SELECT DISTINCT topic FROM topic_terms
),
topic_hits AS (
    SELECT t.doc_id, tt.topic, sum(t.count) AS hits
    FROM terms AS t
    JOIN topic_terms AS tt ON tt.term = t.term
    GROUP BY t.doc_id, tt.topic
)
SELECT
    s.doc_id,
    tp.topic,
    CAST(coalesce(h.hits, 0) AS BIGINT) AS hits,
    s.tokens,
    CASE WHEN s.tokens > 0 THEN coalesce(h.hits, 0) / s.tokens END AS share
FROM segmentations AS s
CROSS JOIN topics AS tp
LEFT JOIN topic_hits AS h ON h.doc_id = s.doc_id AND h.topic = tp.topic;
