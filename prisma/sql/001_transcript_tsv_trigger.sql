-- TranscriptSegment.tsv is Unsupported("tsvector") in schema.prisma: kept in sync with "text" by a trigger.
CREATE FUNCTION "TranscriptSegment_tsv_update"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW."tsv" := to_tsvector('english', coalesce(NEW."text", ''));
  RETURN NEW;
END
$$;

CREATE TRIGGER "TranscriptSegment_tsv"
BEFORE INSERT OR UPDATE OF "text" ON "TranscriptSegment"
FOR EACH ROW EXECUTE FUNCTION "TranscriptSegment_tsv_update"();
