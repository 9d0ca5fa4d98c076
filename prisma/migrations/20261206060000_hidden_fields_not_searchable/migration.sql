-- A hidden field marked searchable fed its values into records.search, which anyone who may
-- list records can query with q=. Definitions can no longer combine the two. This takes
-- searchable off such fields of existing collections (the rest of each definition stays),
-- records the change as a new collection version, and rebuilds the search vector of every
-- record of those collections from the searchable fields left, as CollectionSchema.searchVector
-- does: to_tsvector of the searchable values joined by spaces, NULL when none is left.
-- One statement, so it applies whole or not at all: the pg driver adapter runs a script as
-- separate statements split at every semicolon (comments included), outside a transaction.
WITH fixed AS (
  UPDATE "collections" c
     SET "fields" = (
           SELECT jsonb_agg(CASE WHEN f -> 'hidden' = 'true'::jsonb AND f -> 'searchable' = 'true'::jsonb
                                 THEN f - 'searchable' ELSE f END ORDER BY position)
             FROM jsonb_array_elements(c."fields") WITH ORDINALITY AS e(f, position)),
         "version" = c."version" + 1,
         "updated_at" = CURRENT_TIMESTAMP
   WHERE EXISTS (SELECT 1 FROM jsonb_array_elements(c."fields") f
                  WHERE f -> 'hidden' = 'true'::jsonb AND f -> 'searchable' = 'true'::jsonb)
  RETURNING c."id", c."fields", c."rules", c."options", c."version", c."updated_at"
),
versioned AS (
  INSERT INTO "collection_versions" ("collection_id", "version", "fields", "rules", "options", "changed_by", "changed_at")
  SELECT "id", "version", "fields", "rules", "options", NULL, "updated_at" FROM fixed
)
UPDATE "records" r
   SET "search" = (
         SELECT to_tsvector('simple', string_agg(coalesce(r."data" ->> (f ->> 'name'), ''), ' ' ORDER BY position))
           FROM jsonb_array_elements(fixed."fields") WITH ORDINALITY AS e(f, position)
          WHERE f -> 'searchable' = 'true'::jsonb AND f -> 'hidden' IS DISTINCT FROM 'true'::jsonb)
  FROM fixed
 WHERE r."collection_id" = fixed."id";
